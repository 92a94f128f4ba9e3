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

/// <summary>
/// The relay's transceivers (<c>transceivers:</c> in relay.yaml): a tunnel to each, and each new call placed on the
/// connected one with the most free room by its load reports. A call no transceiver has room for is refused (503).
/// </summary>
internal sealed class TransceiverPool : ISessionHandlerFactory, ICallEventSource, IDisposable
{
    private readonly TransceiverLink[] _links;
    private readonly ConcurrentDictionary<ulong, TunnelSessionHandler> _bySession = new();
    private readonly ConcurrentDictionary<string, TunnelSessionHandler> _byCallId = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ILogger _logger;

    /// <param name="clusterCa">The cluster CA: each link accepts only the transceiver named for its address, not any in the pool.</param>
    public TransceiverPool(IReadOnlyList<TransceiverAddress> transceivers, TunnelOptions options, X509Certificate2 clusterCa, ILogger logger)
    {
        _logger = logger;
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
        }, this, logger)).ToArray();
    }

    public IReadOnlyList<TransceiverLink> Links => _links;

    /// <summary>What a caller hears when its transceiver is lost and no other can take the call (relay.yaml notices.no_transceiver).</summary>
    public NoticeAudio NoTransceiverNotice { get; init; } = NoticeAudio.NoTransceiver;

    public void Start()
    {
        foreach (var link in _links) link.Start();
    }

    public bool TryCreate(CallInfo call, [NotNullWhen(true)] out ISessionHandler? handler, out string? refusal)
    {
        handler = null;
        // Most free room first; ties go to the lower load ratio, then the shorter backlog of caller frames.
        foreach (var link in _links.Where(l => l.IsConnected && l.Capacity > 0)
                     .OrderByDescending(l => (long)l.Capacity - l.Load).ThenBy(l => (double)l.Load / l.Capacity).ThenBy(l => l.QueueDepth))
        {
            if (!link.TryPlace()) continue;
            var placed = new TunnelSessionHandler(this, link, call, _clock.Elapsed);
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

    public bool TrySubscribe(string callId, out CallEventSubscription? subscription)
    {
        subscription = _byCallId.TryGetValue(callId, out var handler) ? handler.Events.Subscribe() : null;
        return subscription is not null;
    }

    public bool TryFindSession(ulong sessionId, TransceiverLink link, [NotNullWhen(true)] out TunnelSessionHandler? handler) =>
        _bySession.TryGetValue(sessionId, out handler) && handler.Link == link;

    /// <summary>The call is over: its slot on the transceiver is free again.</summary>
    public void Forget(TunnelSessionHandler handler)
    {
        if (_bySession.TryRemove(new KeyValuePair<ulong, TunnelSessionHandler>(handler.Call.SessionId, handler)))
            handler.Link.Unplace();
        _byCallId.TryRemove(new KeyValuePair<string, TunnelSessionHandler>(handler.Call.CallId, handler));
    }

    public void OnSessionEvent(TransceiverLink link, SessionEventMessage message)
    {
        if (TryFindSession(message.SessionId, link, out var handler))
            handler.Events.Add(new CallEvent(CallEvent.KindName(message.Kind), message.Text, _clock.Elapsed - handler.PlacedAt));
    }

    public void OnSessionClosed(TransceiverLink link, SessionCloseMessage message)
    {
        if (!TryFindSession(message.SessionId, link, out var handler)) return;
        _logger.LogInformation("transceiver {Name} closed call trace_id={TraceId}: {Reason} {Detail}", link.Name, handler.Call.CallId, message.Reason, message.Detail);
        handler.Call.Feed.RequestEnd($"transceiver {link.Name} closed the session: {message.Reason} {message.Detail}");
    }

    /// <summary>The tunnel dropped: its calls have lost their agent; each caller hears the notice, then the call ends (moving them to another transceiver is later work).</summary>
    public void OnLinkLost(TransceiverLink link)
    {
        foreach (var handler in _bySession.Values.Where(h => h.Link == link))
        {
            _logger.LogWarning("call ends: transceiver {Name} disconnected, no transceiver took the call over trace_id={TraceId}", link.Name, handler.Call.CallId);
            handler.Call.Feed.PlayNoticeThenEnd(NoTransceiverNotice, $"transceiver {link.Name} disconnected; no transceiver took the call over");
        }
    }

    public void Dispose()
    {
        foreach (var link in _links) link.Dispose();
    }
}
