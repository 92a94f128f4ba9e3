using EdgeVoice.Relay.Sessions;
using EdgeVoice.Tunnel.Control;
using MediaFrame = EdgeVoice.Relay.Sessions.MediaFrame;
using TunnelFrame = EdgeVoice.Tunnel.Media.MediaFrame;
using MediaDirection = EdgeVoice.Tunnel.Media.MediaDirection;
using MediaFrameFlags = EdgeVoice.Tunnel.Media.MediaFrameFlags;

namespace EdgeVoice.Relay.Transceivers;

/// <summary>
/// One call placed on a transceiver: caller frames go up the tunnel; frames coming back go to the call's feed.
/// The pool may move the call to another transceiver (<see cref="MoveTo"/>): the media loop reads <see cref="Link"/> once
/// per frame, frames still arriving from the old link are dropped, and the downlink timeline is rebased so the caller
/// sees one continuous RTP stream (the relay's own sequence numbers; timestamps advanced by the real gap).
/// </summary>
internal sealed class TunnelSessionHandler(TransceiverPool pool, TransceiverLink link, CallInfo call, TimeSpan placedAt) : ISessionHandler
{
    private const uint SamplesPerFrame = 960; // 20 ms at 48 kHz
    private volatile TransceiverLink _link = link;
    private int _ended;

    // Downlink timeline, under _downlinkGate: the old and the new link's threads may both deliver around a move.
    private readonly Lock _downlinkGate = new();
    private bool _anyDownlink;
    private bool _rebase;
    private uint _offset;
    private uint _lastTimestamp;
    private TimeSpan _lastDownlinkAt;

    // The conversation as the relay saw it in the call's events, handed to the next transceiver on a move.
    private readonly Lock _historyGate = new();
    private readonly List<ConversationTurn> _history = [];

    public CallInfo Call { get; } = call;
    public TransceiverLink Link => _link;
    public CallEventLog Events { get; } = new();
    public TimeSpan PlacedAt { get; } = placedAt;
    public bool HasEnded => Volatile.Read(ref _ended) == 1;
    public long UplinkNotSent;

    /// <summary>Transceivers this call has been moved to so far.</summary>
    public int Moves { get; private set; }

    private int _refusals;

    /// <summary>Counts one more transceiver refusing this call; returns the count so far.</summary>
    public int CountRefusal() => Interlocked.Increment(ref _refusals);

    public void OnCallConnected(ICallerOutput output) { }

    public void OnCallerFrame(ICallerOutput output, in MediaFrame frame)
    {
        var uplink = new TunnelFrame(Call.SessionId, MediaDirection.Uplink, frame.Sequence, frame.RtpTimestamp,
            frame.Marker ? MediaFrameFlags.Marker : MediaFrameFlags.None, frame.Payload);
        if (!_link.TrySendMedia(uplink))
            UplinkNotSent++;
    }

    /// <summary>A frame from the transceiver for the caller, on <paramref name="from"/>'s tunnel thread.</summary>
    public void OnDownlink(TransceiverLink from, ushort sequence, uint rtpTimestamp, bool marker, ReadOnlySpan<byte> payload, TimeSpan now)
    {
        uint timestamp;
        lock (_downlinkGate)
        {
            if (from != _link)
                return; // the old transceiver's last frames, after the move
            if (_rebase)
            {
                // The new transceiver's clock starts anywhere: continue from the last frame, advanced by the time without audio.
                long silentFrames = Math.Max(1, (long)((now - _lastDownlinkAt).TotalMilliseconds / 20));
                _offset = _lastTimestamp + (uint)(silentFrames * SamplesPerFrame) - rtpTimestamp;
                _rebase = false;
                marker = true; // a new talkspurt for the caller's jitter buffer
            }
            timestamp = rtpTimestamp + _offset;
            _lastTimestamp = timestamp;
            _lastDownlinkAt = now;
            _anyDownlink = true;
        }
        Call.Feed.Enqueue(sequence, timestamp, marker, payload);
    }

    /// <summary>Held by the pool while it moves the call and while it forgets it, so a call never ends half-moved.</summary>
    public Lock MoveGate { get; } = new();

    /// <summary>Switches the call to <paramref name="next"/>: caller frames go there from the next one on; the old link's frames are dropped.</summary>
    public void MoveTo(TransceiverLink next)
    {
        lock (_downlinkGate)
        {
            _link = next;
            _rebase = _anyDownlink;
        }
        Moves++;
    }

    /// <summary>Remembers a final transcript or an agent sentence as a turn (consecutive pieces of one side join up).</summary>
    public void Remember(SessionEventKind kind, string text)
    {
        var role = kind switch
        {
            SessionEventKind.TranscriptFinal => ConversationRole.User,
            SessionEventKind.AgentText => ConversationRole.Agent,
            _ => (ConversationRole?)null,
        };
        text = text.Trim();
        if (role is null || text.Length == 0)
            return;
        lock (_historyGate)
        {
            if (_history.Count > 0 && _history[^1].Role == role)
                _history[^1] = _history[^1] with { Text = _history[^1].Text + " " + text };
            else
                _history.Add(new ConversationTurn(role.Value, text));
            // Only the newest turns ever travel (SessionHistory's bounds); keep a margin, not the whole call.
            if (_history.Count > SessionHistory.MaxTurns * 2)
                _history.RemoveRange(0, _history.Count - SessionHistory.MaxTurns);
        }
    }

    public IReadOnlyList<ConversationTurn> History()
    {
        lock (_historyGate) return _history.ToList();
    }

    public void OnCallEnded(CallEndReason reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1) return;
        var closeReason = reason switch
        {
            CallEndReason.HungUp or CallEndReason.TimeLimit => SessionCloseReason.Normal,
            CallEndReason.RelayStopping => SessionCloseReason.Normal,
            CallEndReason.HandlerEnded => SessionCloseReason.Normal,
            _ => SessionCloseReason.ClientGone,
        };
        // Under the gate: a move under way finishes first, and the close goes to the transceiver that holds the call now.
        lock (MoveGate)
            _link.SendControl(new SessionCloseMessage(Call.SessionId, closeReason, reason.ToString()));
        pool.Forget(this);
        Events.Complete(new CallEnding(CallEnding.Name(reason), Call.Feed.EndReason));
    }
}
