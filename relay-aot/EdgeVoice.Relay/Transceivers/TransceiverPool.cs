using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using EdgeVoice.Relay.Configuration;
using EdgeVoice.Relay.Notices;
using EdgeVoice.Relay.Sessions;
using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Relay.Transceivers;

/// <summary>Why a call moved to another transceiver.</summary>
public enum MoveReason
{
    /// <summary>Its transceiver went silent or its tunnel dropped.</summary>
    Failover,
    /// <summary>Its transceiver is draining (SIGTERM) and handed the call back (SessionClose, reason Moved).</summary>
    Drain,
    /// <summary>Its transceiver refused to open it (SessionClose, reason Overloaded): full or draining since its last load report.</summary>
    Refused,
}

/// <summary>
/// The relay's transceivers (<c>transceivers:</c> in relay.yaml): a tunnel to each, and each new call placed on the
/// connected one with the most free room by its load reports. A call no transceiver has room for is refused (503).
/// A watch thread pings every tunnel (<see cref="LinkLiveness"/>) and moves the calls of a transceiver that died or
/// drains to another one, with the conversation so far; the caller's WebRTC session is untouched.
/// </summary>
internal sealed class TransceiverPool : ISessionHandlerFactory, ICallEventSource, IDisposable
{
    private static readonly TimeSpan WatchTick = TimeSpan.FromMilliseconds(25);

    private readonly TransceiverLink[] _links;
    private readonly ConcurrentDictionary<ulong, TunnelSessionHandler> _bySession = new();
    private readonly ConcurrentDictionary<string, TunnelSessionHandler> _byCallId = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<MoveRequest> _moves = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _watch;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ILogger _logger;
    private volatile bool _stopping;
    private long _movedOnFailover;
    private long _movedOnRefusal;
    private long _movedOnDrain;
    private long _endedNoTransceiver;
    private long _gapTotalTicks;
    private long _gapMaxTicks;
    private long _gapLastTicks;

    /// <param name="clusterCa">The cluster CA: each link accepts only the transceiver named for its address, not any in the pool.</param>
    public TransceiverPool(IReadOnlyList<TransceiverAddress> transceivers, TunnelOptions options, X509Certificate2 clusterCa, ILogger logger,
        TimeSpan? pingInterval = null, TimeSpan? deadAfter = null)
    {
        _logger = logger;
        PingInterval = pingInterval ?? TransceiverPoolOptions.DefaultPingInterval;
        DeadAfter = deadAfter ?? TransceiverPoolOptions.DefaultDeadAfter;
        _links = transceivers.Select(t => new TransceiverLink(t.Name, t.Address, new TunnelOptions
        {
            Credentials = options.Credentials,
            Self = options.Self,
            PeerCheck = new PeerCheck(clusterCa, NodeRole.Transceiver, [t.Name]),
            IdleTimeout = options.IdleTimeout,
            KeepaliveInterval = options.KeepaliveInterval,
            HandshakeTimeout = options.HandshakeTimeout,
            ReceiveQueueFrames = options.ReceiveQueueFrames,
            WallClock = options.WallClock,
            Logger = options.Logger,
        }, new LinkLiveness(PingInterval, DeadAfter), this, logger)).ToArray();
        _watch = new Thread(Watch) { IsBackground = true, Name = "transceiver-watch" };
    }

    public IReadOnlyList<TransceiverLink> Links => _links;
    public TimeSpan PingInterval { get; }
    public TimeSpan DeadAfter { get; }
    /// <summary>The pool's monotonic clock: placement times, liveness and failover gaps.</summary>
    public TimeSpan Now => _clock.Elapsed;

    public long CallsMovedOnFailover => Interlocked.Read(ref _movedOnFailover);
    public long CallsMovedOnRefusal => Interlocked.Read(ref _movedOnRefusal);
    /// <summary>Refusals a call may meet before it ends: placement follows load reports, so a refusal is a race, not a pattern.</summary>
    public const int MaxRefusals = 3;
    public long CallsMovedOnDrain => Interlocked.Read(ref _movedOnDrain);
    public long CallsEndedNoTransceiver => Interlocked.Read(ref _endedNoTransceiver);
    /// <summary>Sum, largest and latest of the moves' gaps (no transceiver for the call: last packet heard, or the drain request, to the SessionOpen on the next one).</summary>
    public TimeSpan MoveGapTotal => TimeSpan.FromTicks(Interlocked.Read(ref _gapTotalTicks));
    public TimeSpan MoveGapMax => TimeSpan.FromTicks(Interlocked.Read(ref _gapMaxTicks));
    public TimeSpan MoveGapLast => TimeSpan.FromTicks(Interlocked.Read(ref _gapLastTicks));

    /// <summary>What a caller hears when its transceiver is lost and no other can take the call (relay.yaml notices.no_transceiver).</summary>
    public NoticeAudio NoTransceiverNotice { get; init; } = NoticeAudio.NoTransceiver;

    public void Start()
    {
        foreach (var link in _links) link.Start();
        _watch.Start();
    }

    public bool TryCreate(CallInfo call, [NotNullWhen(true)] out ISessionHandler? handler, out string? refusal)
    {
        handler = null;
        foreach (var link in PlacementOrder(except: null))
        {
            if (!link.TryPlace()) continue;
            var placed = new TunnelSessionHandler(this, link, call, Now);
            _bySession[call.SessionId] = placed;
            _byCallId[call.CallId] = placed;
            var open = new SessionOpenMessage(call.SessionId, "opus", 48_000, 1, 20, [new("trace_id", call.CallId)]);
            if (!link.SendControl(open))
            {
                Forget(placed);
                continue;
            }
            _logger.LogInformation("call placed trace_id={TraceId} transceiver={Name} load={Load}/{Capacity}", call.CallId, link.Name, link.Load, link.Capacity);
            placed.Events.Add(new CallEvent(CallEvent.Transceiver, CallEvent.TransceiverText(link.Name, "placed"), TimeSpan.Zero));
            handler = placed;
            refusal = null;
            return true;
        }
        int connected = _links.Count(l => l.IsConnected);
        refusal = connected == 0
            ? $"no transceiver is connected ({_links.Length} configured)"
            : $"every connected transceiver is full ({connected} of {_links.Length} connected)";
        return false;
    }

    /// <summary>Connected transceivers with room, most free room first; ties go to the lower load ratio, then the shorter backlog of caller frames.</summary>
    /// <summary>A transceiver whose accelerator was at least this busy (in 1/1000) at its last report goes last: its calls would lag.</summary>
    public const int SaturatedPermille = 900;

    // Unsaturated first; then most free room; ties to the lower load ratio, the less busy accelerator, the shorter backlog.
    private IEnumerable<TransceiverLink> PlacementOrder(TransceiverLink? except) =>
        _links.Where(l => l != except && l.IsConnected && l.Capacity > 0)
            .OrderBy(l => l.AcceleratorUsePermille >= SaturatedPermille)
            .ThenByDescending(l => (long)l.Capacity - l.Load).ThenBy(l => (double)l.Load / l.Capacity)
            .ThenBy(l => l.AcceleratorUsePermille).ThenBy(l => l.QueueDepth);

    public bool TrySubscribe(string callId, out CallEventSubscription? subscription)
    {
        subscription = _byCallId.TryGetValue(callId, out var handler) ? handler.Events.Subscribe() : null;
        return subscription is not null;
    }

    public bool TryFindSession(ulong sessionId, TransceiverLink link, [NotNullWhen(true)] out TunnelSessionHandler? handler) =>
        _bySession.TryGetValue(sessionId, out handler) && handler.Link == link;

    /// <summary>The call is over: its slot on the transceiver is free again. Waits for a move of the call under way.</summary>
    public void Forget(TunnelSessionHandler handler)
    {
        lock (handler.MoveGate)
        {
            if (_bySession.TryRemove(new KeyValuePair<ulong, TunnelSessionHandler>(handler.Call.SessionId, handler)))
                handler.Link.Unplace();
            _byCallId.TryRemove(new KeyValuePair<string, TunnelSessionHandler>(handler.Call.CallId, handler));
        }
    }

    public void OnSessionEvent(TransceiverLink link, SessionEventMessage message)
    {
        if (!TryFindSession(message.SessionId, link, out var handler))
            return;
        handler.Remember(message.Kind, message.Text);
        handler.Events.Add(new CallEvent(CallEvent.KindName(message.Kind), message.Text, Now - handler.PlacedAt));
    }

    public void OnSessionClosed(TransceiverLink link, SessionCloseMessage message)
    {
        if (!TryFindSession(message.SessionId, link, out var handler)) return;
        if (message.Reason == SessionCloseReason.Moved && !_stopping)
        {
            _logger.LogInformation("transceiver {Name} hands call back ({Detail}): moving it trace_id={TraceId}", link.Name, message.Detail, handler.Call.CallId);
            RequestMove(new MoveRequest(handler, link, MoveReason.Drain, Now));
            return;
        }
        if (message.Reason == SessionCloseReason.Overloaded && !_stopping && handler.CountRefusal() <= MaxRefusals)
        {
            _logger.LogInformation("transceiver {Name} refused the call ({Detail}): placing it elsewhere trace_id={TraceId}", link.Name, message.Detail, handler.Call.CallId);
            RequestMove(new MoveRequest(handler, link, MoveReason.Refused, Now, message.Detail));
            return;
        }
        _logger.LogInformation("transceiver {Name} closed call trace_id={TraceId}: {Reason} {Detail}", link.Name, handler.Call.CallId, message.Reason, message.Detail);
        handler.Call.Feed.RequestEnd($"transceiver {link.Name} closed the session: {message.Reason} {message.Detail}");
    }

    /// <summary>The tunnel dropped (or went silent and was dropped): its calls move to another transceiver, gap counted from the last packet heard.</summary>
    public void OnLinkLost(TransceiverLink link, string detail)
    {
        if (_stopping) return;
        var lastHeard = link.LastHeard;
        foreach (var handler in _bySession.Values.Where(h => h.Link == link))
            RequestMove(new MoveRequest(handler, link, MoveReason.Failover, lastHeard, detail));
    }

    /// <summary>
    /// Ends a call because no transceiver can take it (none connected, or all full): the one way a call ends for lack of a
    /// transceiver, so a notice to the caller belongs here.
    /// </summary>
    public void EndForNoTransceiver(TunnelSessionHandler handler, string why)
    {
        Interlocked.Increment(ref _endedNoTransceiver);
        _logger.LogWarning("call ends with the no-transceiver notice: no transceiver to move it to ({Why}) trace_id={TraceId}", why, handler.Call.CallId);
        handler.Call.Feed.PlayNoticeThenEnd(NoTransceiverNotice, $"no transceiver took the call over: {why}");
    }

    private void RequestMove(MoveRequest request)
    {
        _moves.Enqueue(request);
        _wake.Set();
    }

    // The watch thread: liveness timers, then moves. Moves run here, never on a tunnel thread, so no tunnel lock is held
    // while another link's is taken.
    private void Watch()
    {
        while (!_stopping)
        {
            _wake.WaitOne(WatchTick);
            if (_stopping) return;
            var now = Now;
            foreach (var link in _links)
                link.Tick(now);
            while (_moves.TryDequeue(out var request))
            {
                try
                {
                    Move(request);
                }
                catch (Exception ex)
                {
                    // One failed move must not stop the watch thread.
                    _logger.LogError(ex, "moving the call failed trace_id={TraceId}", request.Handler.Call.CallId);
                    request.Handler.Call.Feed.RequestEnd("moving the call to another transceiver failed");
                }
            }
        }
    }

    private void Move(MoveRequest request)
    {
        var handler = request.Handler;
        var from = request.From;
        string reason = request.Reason switch { MoveReason.Drain => "drain", MoveReason.Refused => "refused", _ => "failover" };
        lock (handler.MoveGate)
        {
            // Ended, forgotten, or already moved off that link since the request (e.g. a drain, then the tunnel closed).
            if (handler.HasEnded || handler.Call.Feed.EndRequested || handler.Link != from
                || !_bySession.TryGetValue(handler.Call.SessionId, out var current) || current != handler)
                return;
            foreach (var link in PlacementOrder(except: from))
            {
                if (!link.TryPlace()) continue;
                var metadata = new List<KeyValuePair<string, string>> { new("trace_id", handler.Call.CallId), new("moved_from", from.Name) };
                int dropped = SessionHistory.Append(handler.History(), metadata);
                var open = new SessionOpenMessage(handler.Call.SessionId, "opus", 48_000, 1, 20, metadata);
                if (!link.SendControl(open))
                {
                    link.Unplace();
                    continue;
                }
                var gap = Now - request.GapStart;
                handler.MoveTo(link);
                from.Unplace();
                // Open on the new transceiver first, then release the old one (a drain waits for this close).
                if (request.Reason == MoveReason.Drain)
                    from.SendControl(new SessionCloseMessage(handler.Call.SessionId, SessionCloseReason.Moved, $"moved to {link.Name}"));
                Interlocked.Increment(ref MovedCounter(request.Reason));
                RecordGap(gap);
                _logger.Log(request.Reason == MoveReason.Failover ? LogLevel.Warning : LogLevel.Information,
                    "call moved from transceiver {From} to {To} ({Reason}{Detail}): gap {GapMs} ms, {Turns} turns of history ({Dropped} older left out) trace_id={TraceId}",
                    from.Name, link.Name, reason, request.Detail.Length > 0 ? ": " + request.Detail : "",
                    (long)gap.TotalMilliseconds, metadata.Count - 2, dropped, handler.Call.CallId);
                handler.Events.Add(new CallEvent(CallEvent.Transceiver, CallEvent.TransceiverText(link.Name, reason, gap), Now - handler.PlacedAt));
                return;
            }
        }
        int connected = _links.Count(l => l != from && l.IsConnected);
        EndForNoTransceiver(handler, connected == 0
            ? $"{from.Name} {Why(request.Reason)} and no other transceiver is connected"
            : $"{from.Name} {Why(request.Reason)} and every other connected transceiver is full");
    }

    private void RecordGap(TimeSpan gap)
    {
        long ticks = Math.Max(0, gap.Ticks);
        Interlocked.Add(ref _gapTotalTicks, ticks);
        Interlocked.Exchange(ref _gapLastTicks, ticks);
        long max;
        while (ticks > (max = Interlocked.Read(ref _gapMaxTicks)) && Interlocked.CompareExchange(ref _gapMaxTicks, ticks, max) != max) { }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        if (_watch.IsAlive)
            _watch.Join();
        foreach (var link in _links) link.Dispose();
        _wake.Dispose();
    }

    private ref long MovedCounter(MoveReason reason)
    {
        if (reason == MoveReason.Drain) return ref _movedOnDrain;
        if (reason == MoveReason.Refused) return ref _movedOnRefusal;
        return ref _movedOnFailover;
    }

    private static string Why(MoveReason reason) => reason switch
    {
        MoveReason.Drain => "is draining",
        MoveReason.Refused => "refused the call",
        _ => "is gone",
    };

    private sealed record MoveRequest(TunnelSessionHandler Handler, TransceiverLink From, MoveReason Reason, TimeSpan GapStart, string Detail = "");
}
