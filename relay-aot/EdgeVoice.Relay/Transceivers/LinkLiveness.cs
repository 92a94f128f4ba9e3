namespace EdgeVoice.Relay.Transceivers;

/// <summary>What the relay should do for a link's liveness now.</summary>
public enum LivenessAction
{
    None,
    /// <summary>Send a Ping carrying <see cref="LinkLiveness.PingNonce"/> on the control stream.</summary>
    SendPing,
    /// <summary>Nothing heard for <see cref="LinkLiveness.DeadAfter"/>: drop the tunnel and move its calls.</summary>
    Dead,
}

/// <summary>
/// Whether a transceiver is still there, sans-IO: the relay pings every <see cref="PingInterval"/> while the tunnel is up,
/// anything heard from the transceiver (a Pong, a load report, an event, a media frame) counts as alive, and after
/// <see cref="DeadAfter"/> with nothing heard the link is declared dead once. QUIC's own idle timeout is far slower (15 s).
/// Not thread-safe: its owner serialises the calls.
/// </summary>
public sealed class LinkLiveness
{
    private bool _up;
    private bool _declaredDead;
    private TimeSpan _lastHeard;
    private TimeSpan _nextPing;

    public LinkLiveness(TimeSpan pingInterval, TimeSpan deadAfter)
    {
        if (pingInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(pingInterval), "the ping interval must be positive");
        if (deadAfter <= pingInterval)
            throw new ArgumentOutOfRangeException(nameof(deadAfter), "dead_after must be longer than the ping interval, or a live peer is declared dead between two pings");
        PingInterval = pingInterval;
        DeadAfter = deadAfter;
    }

    public TimeSpan PingInterval { get; }
    public TimeSpan DeadAfter { get; }
    /// <summary>The last time anything arrived from the transceiver (the start of a failover gap).</summary>
    public TimeSpan LastHeard => _lastHeard;
    public bool IsUp => _up;
    /// <summary>Counts pings sent on this link; the nonce of the next one.</summary>
    public ulong PingNonce { get; private set; }

    /// <summary>The tunnel is up (Connected or Reconnected): counts as heard, and the first ping goes out one interval later.</summary>
    public void OnConnected(TimeSpan now)
    {
        _up = true;
        _declaredDead = false;
        _lastHeard = now;
        _nextPing = now + PingInterval;
    }

    /// <summary>The tunnel closed; nothing to watch until it is up again.</summary>
    public void OnClosed() => _up = false;

    public void OnHeard(TimeSpan now)
    {
        if (now > _lastHeard)
            _lastHeard = now;
    }

    /// <summary>When <see cref="HandleTimeout"/> must next run; null while the tunnel is down or after it was declared dead.</summary>
    public TimeSpan? NextTimeout => !_up || _declaredDead ? null : Min(_nextPing, _lastHeard + DeadAfter);

    public LivenessAction HandleTimeout(TimeSpan now)
    {
        if (!_up || _declaredDead)
            return LivenessAction.None;
        if (now - _lastHeard >= DeadAfter)
        {
            _declaredDead = true;
            return LivenessAction.Dead;
        }
        if (now < _nextPing)
            return LivenessAction.None;
        // A late tick sends one ping, not a burst of the ones it missed.
        _nextPing = now + PingInterval;
        PingNonce++;
        return LivenessAction.SendPing;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
