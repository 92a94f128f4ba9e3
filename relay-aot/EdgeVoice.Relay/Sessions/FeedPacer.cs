using EdgeVoice.Relay.Media;

namespace EdgeVoice.Relay.Sessions;

/// <summary>
/// When a call's feed frames go to the caller: a talkspurt's first at once, then one per 20 ms on the media loop's tick
/// grid, restarting after a pause, and working off a standing backlog. Frames from the transceiver arrive as fast as
/// they leave, so a backlog that formed once (a burst, a stall) would otherwise stay as added delay for the rest of the
/// talkspurt; when a frame was still waiting after every send of a window, one frame goes 20 ms early. The caller's
/// jitter buffer takes an early packet in its stride; a lost or skipped frame it would hear. Sans-IO, media loop only.
/// </summary>
internal sealed class FeedPacer
{
    public static readonly TimeSpan FrameInterval = TimeSpan.FromMilliseconds(20);
    /// <summary>A feed late by more than this restarts its pacing clock instead of bursting to catch up.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(60);
    /// <summary>Backlog kept (frames): none, since absorbing arrival jitter is the caller's jitter buffer's work.</summary>
    public const int KeptDepth = 0;
    /// <summary>Sends per catch-up decision: 0.5 s of audio, so one early frame per half second at most.</summary>
    public const int Window = 25;

    private TimeSpan _next;
    private TimeSpan _tick;
    private bool _pacing;
    private bool _joinGrid;
    private int _sends;
    private int _minDepth = int.MaxValue;

    /// <summary>Frames sent early to work off a backlog, since the call began.</summary>
    public long EarlySends { get; private set; }

    /// <summary>When the next frame is due if the feed holds one: at once when pacing has not started (or restarts).</summary>
    public TimeSpan NextDue => _pacing ? _next : TimeSpan.Zero;

    /// <summary>Whether a frame may go now; after sending one, call <see cref="Sent"/>. <paramref name="tick"/>: the loop's grid (zero: none).</summary>
    public bool IsDue(TimeSpan now, TimeSpan tick)
    {
        _tick = tick;
        if (!_pacing || now - _next > Slack)
        {
            // A talkspurt's first frame goes at once; the next one joins the tick grid (Sent).
            _next = now;
            _joinGrid = true;
            _pacing = true;
            ResetWindow();
        }
        return _next <= now;
    }

    /// <param name="depthLeft">Frames still in the feed after this one was taken.</param>
    public void Sent(int depthLeft)
    {
        // After a talkspurt's first frame: the first grid point at least half a frame later (10-30 ms), so the rest of
        // the talkspurt shares the loop's tick wake-ups. The caller's jitter buffer plays by RTP timestamp either way.
        _next = _joinGrid && _tick > TimeSpan.Zero ? MediaTick.AtOrAfter(_next + FrameInterval / 2, _tick) : _next + FrameInterval;
        _joinGrid = false;
        _minDepth = Math.Min(_minDepth, depthLeft);
        if (++_sends < Window)
            return;
        if (_minDepth > KeptDepth)
        {
            _next -= FrameInterval;
            EarlySends++;
        }
        ResetWindow();
    }

    private void ResetWindow()
    {
        _sends = 0;
        _minDepth = int.MaxValue;
    }
}
