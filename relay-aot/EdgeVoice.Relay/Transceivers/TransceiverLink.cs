using System.Net;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Quic;
using TunnelFrame = EdgeVoice.Tunnel.Media.MediaFrame;
using MediaDirection = EdgeVoice.Tunnel.Media.MediaDirection;
using MediaFrameFlags = EdgeVoice.Tunnel.Media.MediaFrameFlags;

namespace EdgeVoice.Relay.Transceivers;

/// <summary>
/// The relay's tunnel to one transceiver (a <see cref="TunnelClient"/> that keeps redialing) and what the relay knows
/// of its load: connected or not, its capacity and session count from Hello and load reports, and the calls placed on it.
/// </summary>
internal sealed class TransceiverLink : IDisposable
{
    private readonly TunnelClient _client;
    private readonly TransceiverPool _pool;
    private readonly ILogger _logger;
    private readonly LinkLiveness _liveness;
    private readonly Lock _livenessGate = new();
    private volatile bool _connected;
    private volatile bool _draining;
    private int _placed;
    private uint _capacity;
    private uint _reportedSessions;
    private uint _queueDepth;
    private int _acceleratorUse;

    public TransceiverLink(string name, IPEndPoint address, TunnelOptions options, LinkLiveness liveness, TransceiverPool pool, ILogger logger)
    {
        Name = name;
        Address = address;
        _pool = pool;
        _logger = logger;
        _liveness = liveness;
        _client = new TunnelClient(options, address);
        _client.EventReceived += OnEvent;
        _client.MediaReceived += OnMedia;
    }

    public string Name { get; }
    public IPEndPoint Address { get; }
    public bool IsConnected => _connected;
    public uint Capacity => Volatile.Read(ref _capacity);
    /// <summary>Sessions on the transceiver as the relay sees it: its last report, or the calls placed since if more.</summary>
    public uint Load => Math.Max(Volatile.Read(ref _reportedSessions), (uint)Volatile.Read(ref _placed));
    /// <summary>Caller frames waiting on the transceiver at its last report: a backlog means it is falling behind.</summary>
    public uint QueueDepth => Volatile.Read(ref _queueDepth);
    /// <summary>How busy the transceiver's GPU (or CPU) was at its last report, in 1/1000.</summary>
    public int AcceleratorUsePermille => Volatile.Read(ref _acceleratorUse);
    public long MediaDropped;
    private long _callsPlaced;
    private long _uplinkNotSent;

    /// <summary>Calls given a slot on this transceiver since start.</summary>
    public long CallsPlaced => Interlocked.Read(ref _callsPlaced);

    /// <summary>Caller frames the tunnel could not take (no connection, or its datagram queue full).</summary>
    public long UplinkNotSent => Interlocked.Read(ref _uplinkNotSent);

    /// <summary>The tunnel's transport statistics (smoothed RTT), read under the tunnel lock; false while not connected.</summary>
    public bool TryGetStats(out TunnelStats stats) => _client.TryGetStats(out stats);

    /// <summary>The transceiver said it is draining (capacity 0 in its load report): no new calls go to it.</summary>
    public bool IsDraining => _draining;

    /// <summary>When anything last arrived from the transceiver (the pool's clock).</summary>
    public TimeSpan LastHeard
    {
        get { lock (_livenessGate) return _liveness.LastHeard; }
    }

    public void Start() => _client.Start();

    /// <summary>Runs the liveness timer (the pool's watch thread): pings the transceiver, or drops a tunnel that went silent.</summary>
    public void Tick(TimeSpan now)
    {
        LivenessAction action;
        ulong nonce;
        lock (_livenessGate)
        {
            action = _liveness.HandleTimeout(now);
            nonce = _liveness.PingNonce;
        }
        if (action == LivenessAction.SendPing)
        {
            _client.SendControl(new PingMessage(nonce));
        }
        else if (action == LivenessAction.Dead)
        {
            _logger.LogWarning("transceiver {Name} ({Address}) silent for {Silence} ms (dead_after {DeadAfter} ms): dropping its tunnel",
                Name, Address, (long)(now - LastHeard).TotalMilliseconds, (long)_liveness.DeadAfter.TotalMilliseconds);
            _client.Drop($"no answer from {Name} for {(long)_liveness.DeadAfter.TotalMilliseconds} ms");
        }
    }

    private void Heard()
    {
        var now = _pool.Now;
        lock (_livenessGate) _liveness.OnHeard(now);
    }

    /// <summary>Dial attempts so far (each redial after a failed or closed connection counts).</summary>
    public int Attempts => _client.Attempts;

    /// <summary>The live tunnel connection (null between attempts), for its counters.</summary>
    public TunnelConnection? Connection => _client.Connection;

    /// <summary>Takes one slot for a new call if the transceiver is connected and not full.</summary>
    public bool TryPlace()
    {
        if (!_connected) return false;
        while (true)
        {
            int placed = Volatile.Read(ref _placed);
            if (Math.Max(Volatile.Read(ref _reportedSessions), (uint)placed) >= Capacity) return false;
            if (Interlocked.CompareExchange(ref _placed, placed + 1, placed) == placed)
            {
                Interlocked.Increment(ref _callsPlaced);
                return true;
            }
        }
    }

    public void Unplace() => Interlocked.Decrement(ref _placed);

    public bool SendControl(ControlMessage message) => _client.SendControl(message);

    public bool TrySendMedia(in TunnelFrame frame)
    {
        if (_client.TrySendMedia(frame)) return true;
        Interlocked.Increment(ref _uplinkNotSent);
        return false;
    }

    // Runs on the tunnel client's thread: nothing here blocks.
    private void OnEvent(TunnelEvent e)
    {
        switch (e.Kind)
        {
            case TunnelEventKind.Connected or TunnelEventKind.Reconnected:
                Volatile.Write(ref _capacity, _client.Connection?.PeerHello?.Capacity ?? 0);
                _draining = false;
                lock (_livenessGate) _liveness.OnConnected(_pool.Now);
                _connected = true;
                _logger.LogInformation("transceiver {Name} ({Address}) connected, capacity {Capacity}", Name, Address, Capacity);
                break;
            case TunnelEventKind.Closed:
                if (_connected && e.Error != TunnelError.ClosedLocally)
                    _logger.LogWarning("transceiver {Name} ({Address}) lost: {Error} {Detail}", Name, Address, e.Error, e.Detail);
                _connected = false;
                // A closed tunnel ends its sessions on the transceiver: its last report no longer holds.
                Volatile.Write(ref _reportedSessions, 0);
                lock (_livenessGate) _liveness.OnClosed();
                _pool.OnLinkLost(this, e.Detail);
                break;
            case TunnelEventKind.Message:
                Heard();
                OnMessage(e.Message);
                break;
        }
    }

    private void OnMessage(ControlMessage? message)
    {
        switch (message)
        {
            case LoadReportMessage report:
                // A draining transceiver reports capacity 0 while it still serves the calls it is handing back.
                _draining = report.Capacity == 0;
                Volatile.Write(ref _capacity, report.Capacity);
                Volatile.Write(ref _reportedSessions, report.Sessions);
                Volatile.Write(ref _queueDepth, report.QueueDepth);
                Volatile.Write(ref _acceleratorUse, report.AcceleratorUsePermille);
                break;
            case SessionEventMessage sessionEvent:
                _pool.OnSessionEvent(this, sessionEvent);
                break;
            case SessionCloseMessage close:
                _pool.OnSessionClosed(this, close);
                break;
        }
    }

    private void OnMedia(ReadOnlySpan<byte> datagram)
    {
        Heard();
        if (!TunnelFrame.TryParse(datagram, out var frame, out _) || frame.Direction != MediaDirection.Downlink
            || !_pool.TryFindSession(frame.SessionId, this, out var handler))
        {
            Interlocked.Increment(ref MediaDropped);
            return;
        }
        handler.OnDownlink(this, (ushort)frame.Sequence, frame.RtpTimestamp, (frame.Flags & MediaFrameFlags.Marker) != 0, frame.Payload, _pool.Now);
    }

    public void Dispose() => _client.Dispose();
}
