namespace EdgeVoice.Relay.Notices;

/// <summary>
/// Paces a notice out one packet per 20 ms from when it starts (sans-IO: the media loop passes the time in).
/// A loop that wakes late by more than <see cref="PacingSlack"/> restarts the pacing instead of bursting to catch up.
/// </summary>
public sealed class NoticePlayback
{
    public static readonly TimeSpan PacingSlack = TimeSpan.FromMilliseconds(60);

    private int _next;

    public NoticePlayback(NoticeAudio notice, TimeSpan start)
    {
        Notice = notice;
        NextDue = start;
    }

    public NoticeAudio Notice { get; }

    /// <summary>When the next packet is due; after the last one, when its 20 ms are over (then the call may end).</summary>
    public TimeSpan NextDue { get; private set; }

    /// <summary>Packets handed out so far.</summary>
    public int Played => _next;

    /// <summary>Every packet was handed out and the last one's 20 ms have passed.</summary>
    public bool IsFinished(TimeSpan now) => _next == Notice.PacketCount && now >= NextDue;

    /// <summary>The packet due at <paramref name="now"/>, if any; <paramref name="index"/> is its place in the notice (0: first, marks a talkspurt).</summary>
    public bool TryTake(TimeSpan now, out ReadOnlySpan<byte> packet, out int index)
    {
        if (now - NextDue > PacingSlack)
            NextDue = now;
        if (_next == Notice.PacketCount || now < NextDue)
        {
            packet = default;
            index = -1;
            return false;
        }
        index = _next++;
        packet = Notice.Packet(index);
        NextDue += NoticeAudio.PacketDuration;
        return true;
    }
}
