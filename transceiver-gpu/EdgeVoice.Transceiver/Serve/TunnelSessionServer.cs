using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using EdgeVoice.Transceiver.Accelerator;
using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Quic;
using MediaFrame = EdgeVoice.Transceiver.Pipeline.MediaFrame;
using TunnelFrame = EdgeVoice.Tunnel.Media.MediaFrame;
using MediaDirection = EdgeVoice.Tunnel.Media.MediaDirection;
using MediaFrameFlags = EdgeVoice.Tunnel.Media.MediaFrameFlags;

namespace EdgeVoice.Transceiver.Serve;

/// <summary>
/// The transceiver's tunnel side: relays connect, each SessionOpen becomes a pipeline session (within
/// <c>limits.max_sessions</c>), uplink media datagrams feed it, its Opus frames go back as downlink datagrams and
/// its events as control events; load reports go to every relay periodically and whenever sessions change.
/// </summary>
public sealed class TunnelSessionServer : IAsyncDisposable
{
    private readonly TunnelServer _tunnel;
    private readonly SessionHost _host;
    private readonly uint _capacity;
    private readonly Action<string> _log;
    private readonly Channel<ControlWork> _work = Channel.CreateUnbounded<ControlWork>(new() { SingleReader = true });
    private readonly ConcurrentDictionary<(TunnelConnection Connection, ulong SessionId), ServedSession> _sessions = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;
    private readonly Task _reporter;
    private readonly TimeSpan _reportInterval;
    private readonly AcceleratorUse _acceleratorUse;
    private long _uplinkDropped;
    private long _uplinkMalformed;
    private long _uplinkNoSession;
    private long _uplinkReceived;
    private long _downlinkSent;
    private long _downlinkNotSent;
    private int _disposed;
    private volatile bool _draining;

    private TunnelSessionServer(TransceiverConfig config, TunnelOptions options, IPEndPoint listen, Action<string> log, TimeSpan reportInterval)
    {
        _log = log;
        _host = new SessionHost(config, log, Metrics);
        _acceleratorUse = AcceleratorUse.Open(config.Device, log);
        _capacity = options.Capacity;
        _reportInterval = reportInterval;
        _tunnel = new TunnelServer(options, TunnelServer.Bind(listen));
        _tunnel.EventReceived += OnTunnelEvent;
        _tunnel.MediaReceived += OnMedia;
        _tunnel.Start();
        _worker = Task.Run(RunControlAsync);
        _reporter = Task.Run(ReportLoadAsync);
    }

    /// <param name="reportInterval">How often every relay gets a load report (besides one on each session change); default 1 s.</param>
    public static TunnelSessionServer Start(TransceiverConfig config, TunnelOptions options, IPEndPoint listen, Action<string> log, TimeSpan? reportInterval = null) =>
        new(config, options, listen, log, reportInterval ?? TimeSpan.FromSeconds(1));

    public IPEndPoint LocalEndPoint => _tunnel.LocalEndPoint;
    public int ActiveSessions => _host.ActiveSessions;
    /// <summary>The relays' tunnel connections, for their counters.</summary>
    public IReadOnlyList<TunnelConnection> Connections => _tunnel.Connections;
    /// <summary>Caller frames dropped: malformed, for no open session, or with 5 s already waiting.</summary>
    public long UplinkDropped => Interlocked.Read(ref _uplinkDropped);
    public long UplinkMalformed => Interlocked.Read(ref _uplinkMalformed);
    public long UplinkNoSession => Interlocked.Read(ref _uplinkNoSession);
    /// <summary>Caller frames taken into a session's queue.</summary>
    public long UplinkReceived => Interlocked.Read(ref _uplinkReceived);
    /// <summary>Agent frames handed to the tunnel, and those it could not take (its datagram queue full, or the relay gone).</summary>
    public long DownlinkSent => Interlocked.Read(ref _downlinkSent);
    public long DownlinkNotSent => Interlocked.Read(ref _downlinkNotSent);
    public int MaxSessions => _host.MaxSessions;
    /// <summary>Latency histograms and turn counts of every session served (the transceiver's /metrics).</summary>
    public Metrics.PipelineMetrics Metrics { get; } = new();

    /// <summary>A relay connection's transport statistics (smoothed RTT); false once it is gone.</summary>
    public bool TryGetStats(TunnelConnection connection, out TunnelStats stats) => _tunnel.TryGetStats(connection, out stats);

    /// <summary>True once <see cref="DrainAsync"/> started: no new sessions, capacity 0 in load reports.</summary>
    public bool IsDraining => _draining;

    // Runs on the tunnel thread under its lock: nothing here may block, so opens and closes go to the worker.
    private void OnTunnelEvent(TunnelConnection connection, TunnelEvent e)
    {
        switch (e.Kind)
        {
            case TunnelEventKind.Connected:
                _log($"tunnel: {e.Peer} connected");
                _tunnel.SendControl(connection, LoadReport());
                break;
            case TunnelEventKind.Message when e.Message is PingMessage ping:
                // The relay's liveness check: answered from the tunnel thread, so a busy pipeline does not look dead.
                _tunnel.SendControl(connection, new PongMessage(ping.Nonce));
                break;
            case TunnelEventKind.Message when e.Message is SessionOpenMessage open:
                string trace = open.Metadata.FirstOrDefault(m => m.Key == "trace_id").Value ?? "-";
                if (_draining)
                {
                    _tunnel.SendControl(connection, new SessionCloseMessage(open.SessionId, SessionCloseReason.Overloaded, "transceiver draining"));
                    break;
                }
                // Registered now, so caller frames that arrive while the engines start wait in its uplink queue.
                if (_sessions.TryAdd((connection, open.SessionId), new ServedSession(connection, open.SessionId, trace)))
                    _work.Writer.TryWrite(new ControlWork(connection, open, null));
                break;
            case TunnelEventKind.Message when e.Message is SessionCloseMessage close:
                _work.Writer.TryWrite(new ControlWork(connection, null, close));
                break;
            case TunnelEventKind.Closed:
                _log($"tunnel: {e.Peer?.ToString() ?? "peer"} closed ({e.Error} {e.Detail})");
                _work.Writer.TryWrite(new ControlWork(connection, null, null));
                break;
        }
    }

    private void OnMedia(TunnelConnection connection, ReadOnlySpan<byte> datagram)
    {
        if (!TunnelFrame.TryParse(datagram, out var frame, out _) || frame.Direction != MediaDirection.Uplink)
            Interlocked.Increment(ref _uplinkMalformed);
        else if (!_sessions.TryGetValue((connection, frame.SessionId), out var session))
            Interlocked.Increment(ref _uplinkNoSession);
        else if (session.Uplink.Writer.TryWrite(new MediaFrame((ushort)frame.Sequence, frame.RtpTimestamp, frame.Payload.ToArray())))
        {
            Interlocked.Increment(ref _uplinkReceived);
            return;
        }
        Interlocked.Increment(ref _uplinkDropped);
    }

    private async Task RunControlAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync())
        {
            try
            {
                if (work.Open is { } open)
                    Open(work.Connection, open);
                else if (work.Close is { } close)
                    await CloseAsync(work.Connection, close.SessionId, notifyRelay: false);
                else
                    foreach (var key in _sessions.Keys.Where(k => k.Connection == work.Connection).ToList())
                        await CloseAsync(key.Connection, key.SessionId, notifyRelay: false);
            }
            catch (Exception ex)
            {
                // One bad session must not stop every other open and close.
                _log($"tunnel: control work failed: {ex}");
            }
        }
    }

    private void Open(TunnelConnection connection, SessionOpenMessage open)
    {
        var key = (connection, open.SessionId);
        if (!_sessions.TryGetValue(key, out var session) || session.Hosted is not null) return;
        string trace = session.Trace;
        if (open.Codec != "opus" || open.ClockRate != 48_000 || open.FrameDurationMs != 20)
        {
            _sessions.TryRemove(key, out _);
            _tunnel.SendControl(connection, new SessionCloseMessage(open.SessionId, SessionCloseReason.Error,
                $"unsupported media {open.Codec}/{open.ClockRate}/{open.FrameDurationMs}ms; this transceiver takes opus/48000/20ms"));
            return;
        }
        // A call moved here from another transceiver brings its conversation; malformed history is dropped, never fatal.
        string history = "";
        if (!SessionHistory.TryRead(open.Metadata, out var priorTurns, out var historyError))
            _log($"session {open.SessionId:x16} history metadata ignored trace_id={trace}: {historyError}");
        else if (priorTurns.Count > 0)
            history = $", moved from {open.Metadata.FirstOrDefault(m => m.Key == "moved_from").Value ?? "another transceiver"} with {priorTurns.Count} turns of history"
                + (priorTurns.LastOrDefault(t => t.Role == ConversationRole.User) is { } said ? $" (last said: \"{said.Text}\")" : "");
        if (!_host.TryOpen(Pacing.RealTime, out var hosted, out string? refusal, line => _log($"{line} trace_id={trace}"), priorTurns))
        {
            _sessions.TryRemove(key, out _);
            _log($"session {open.SessionId:x16} refused trace_id={trace}: {refusal}");
            _tunnel.SendControl(connection, new SessionCloseMessage(open.SessionId, SessionCloseReason.Overloaded, refusal!));
            return;
        }
        session.Hosted = hosted;
        session.Pumps = Task.WhenAll(Task.Run(() => PumpUplinkAsync(session)), Task.Run(() => PumpFramesAsync(session)), Task.Run(() => PumpEventsAsync(session)));
        _log($"session {open.SessionId:x16} opened trace_id={trace} relay={connection.Peer?.Name}; {_host.ActiveSessions}/{_host.MaxSessions}{history}");
        _tunnel.SendControl(connection, LoadReport());
    }

    private async Task CloseAsync(TunnelConnection connection, ulong sessionId, bool notifyRelay)
    {
        if (!_sessions.TryRemove((connection, sessionId), out var session)) return;
        session.Uplink.Writer.TryComplete();
        if (session.Hosted is null) return; // closed before its engines started
        await session.Hosted.DisposeAsync();
        // The slot is free now: relays hear of it at once, not after the output pumps wind down.
        if (connection.State == TunnelState.Connected)
            _tunnel.SendControl(connection, LoadReport());
        try { await session.Pumps!.WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (TimeoutException) { _log($"session {sessionId:x16} trace_id={session.Trace}: output pumps did not stop within 5 s"); }
        if (notifyRelay)
            _tunnel.SendControl(connection, new SessionCloseMessage(sessionId, SessionCloseReason.Normal, "transceiver stopping"));
        _log($"session {sessionId:x16} closed trace_id={session.Trace}; {_host.ActiveSessions}/{_host.MaxSessions}");
    }

    /// <summary>Caller frames into the pipeline; the backlog absorbs a stall (e.g. a session's first frames while code warms up).</summary>
    private static async Task PumpUplinkAsync(ServedSession session)
    {
        try
        {
            await foreach (var frame in session.Uplink.Reader.ReadAllAsync())
                await session.Hosted!.Pipeline.WriteAsync(frame);
        }
        catch (ChannelClosedException) { }
    }

    private async Task PumpFramesAsync(ServedSession session)
    {
        int lastTurn = -1;
        await foreach (var agentFrame in session.Hosted!.Pipeline.Output.ReadAllAsync())
        {
            // The first frame of each agent turn starts a talkspurt (RTP marker).
            var flags = agentFrame.TurnId != lastTurn ? MediaFrameFlags.Marker : MediaFrameFlags.None;
            lastTurn = agentFrame.TurnId;
            Send(session, agentFrame.Frame, flags);
        }
    }

    private void Send(ServedSession session, MediaFrame frame, MediaFrameFlags flags)
    {
        var downlink = new TunnelFrame(session.SessionId, MediaDirection.Downlink, frame.Sequence, frame.RtpTimestamp, flags, frame.Payload.Span);
        if (_tunnel.TrySendMedia(session.Connection, downlink)) Interlocked.Increment(ref _downlinkSent);
        else Interlocked.Increment(ref _downlinkNotSent);
    }

    private async Task PumpEventsAsync(ServedSession session)
    {
        await foreach (var e in session.Hosted!.Pipeline.Events.ReadAllAsync())
        {
            if (e.Kind == PipelineEventKind.StateChanged && e.State is { } state)
                session.State = state;
            if (e.Kind is PipelineEventKind.FinalTranscript or PipelineEventKind.AgentText or PipelineEventKind.TurnTiming or PipelineEventKind.TurnError)
                _log($"session {session.SessionId:x16} turn {e.TurnId} {Describe(e.Kind)} trace_id={session.Trace}: {e.Text}");
            var message = ToControl(session.SessionId, e);
            if (message is not null && session.Connection.State == TunnelState.Connected)
                _tunnel.SendControl(session.Connection, message);
        }
    }

    private static string Describe(PipelineEventKind kind) => kind switch
    {
        PipelineEventKind.FinalTranscript => "transcript",
        PipelineEventKind.AgentText => "reply",
        PipelineEventKind.TurnTiming => "timing",
        _ => "error",
    };

    /// <summary>Pipeline events as tunnel control events; a turn error is reported as an agent state.</summary>
    public static SessionEventMessage? ToControl(ulong sessionId, PipelineEvent e) => e.Kind switch
    {
        PipelineEventKind.PartialTranscript => new SessionEventMessage(sessionId, SessionEventKind.TranscriptPartial, e.Text ?? ""),
        PipelineEventKind.FinalTranscript => new SessionEventMessage(sessionId, SessionEventKind.TranscriptFinal, e.Text ?? ""),
        PipelineEventKind.AgentText => new SessionEventMessage(sessionId, SessionEventKind.AgentText, e.Text ?? ""),
        PipelineEventKind.StateChanged => new SessionEventMessage(sessionId, SessionEventKind.AgentState, e.State.ToString()!.ToLowerInvariant()),
        PipelineEventKind.TurnError => new SessionEventMessage(sessionId, SessionEventKind.AgentState, "error: " + e.Text),
        PipelineEventKind.TurnTiming => new SessionEventMessage(sessionId, SessionEventKind.TurnTiming, e.Text ?? ""),
        _ => null,
    };

    private async Task ReportLoadAsync()
    {
        using var timer = new PeriodicTimer(_reportInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                var report = LoadReport();
                foreach (var connection in _tunnel.Connections)
                    if (connection.State == TunnelState.Connected)
                        _tunnel.SendControl(connection, report);
            }
        }
        catch (OperationCanceledException) { }
    }

    private LoadReportMessage LoadReport()
    {
        uint queued = 0;
        foreach (var s in _sessions.Values)
            queued += (uint)(s.Uplink.Reader.Count + (s.Hosted?.Pipeline.PendingInput ?? 0));
        // Capacity 0 while draining: relays place nothing new here and move what is here.
        return new LoadReportMessage((uint)_host.ActiveSessions, _draining ? 0 : _capacity, queued, _acceleratorUse.Permille());
    }

    /// <summary>
    /// Drains before a stop (SIGTERM): takes no new sessions (capacity 0 in load reports), hands each session back to its
    /// relay with SessionClose reason Moved once its agent is not mid-reply (or half the timeout has passed), and waits
    /// until the relays have closed them all or the timeout passes. Returns how many sessions are still open.
    /// </summary>
    public async Task<int> DrainAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        _draining = true;
        var report = LoadReport();
        foreach (var connection in _tunnel.Connections)
            if (connection.State == TunnelState.Connected)
                _tunnel.SendControl(connection, report);
        var handedBack = new HashSet<ServedSession>();
        _log($"draining: {_sessions.Count} sessions to hand back within {timeout.TotalSeconds:0.#} s");
        // Until every session is closed here, engines released included (a close removes the session before it stops the pipeline).
        while ((!_sessions.IsEmpty || _host.ActiveSessions > 0) && clock.Elapsed < timeout)
        {
            foreach (var session in _sessions.Values)
            {
                // Mid-reply the caller would lose the rest of the answer: wait for a pause, but not past half the timeout.
                bool pause = session.State is SessionState.Listening or SessionState.Interrupted;
                if (handedBack.Contains(session) || (!pause && clock.Elapsed < timeout / 2) || session.Connection.State != TunnelState.Connected)
                    continue;
                handedBack.Add(session);
                _tunnel.SendControl(session.Connection, new SessionCloseMessage(session.SessionId, SessionCloseReason.Moved, "draining"));
                _log($"draining: session {session.SessionId:x16} handed back to {session.Connection.Peer} ({session.State}) trace_id={session.Trace}");
            }
            await Task.Delay(20);
        }
        int left = Math.Max(_sessions.Count, _host.ActiveSessions);
        _log(left == 0
            ? $"drained in {clock.Elapsed.TotalMilliseconds:0} ms"
            : $"drain timeout ({timeout.TotalSeconds:0.#} s): {left} sessions still open are closed");
        return left;
    }

    /// <summary>Stops: every open session is closed and its relay told (SessionClose "transceiver stopping"), then the tunnel closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping.Cancel();
        _work.Writer.TryComplete();
        await _worker;
        await _reporter;
        foreach (var key in _sessions.Keys.ToList())
            await CloseAsync(key.Connection, key.SessionId, notifyRelay: true);
        _tunnel.Dispose();
        _stopping.Dispose();
        _acceleratorUse.Dispose();
    }

    private sealed record ControlWork(TunnelConnection Connection, SessionOpenMessage? Open, SessionCloseMessage? Close);

    private sealed class ServedSession(TunnelConnection connection, ulong sessionId, string trace)
    {
        public TunnelConnection Connection { get; } = connection;
        public ulong SessionId { get; } = sessionId;
        public string Trace { get; } = trace;
        /// <summary>The pipeline, once its engines have started (null until then).</summary>
        public HostedSession? Hosted { get; set; }
        public Task? Pumps { get; set; }
        /// <summary>The agent's state by the pipeline's last StateChanged event (a drain hands the call back at a pause).</summary>
        public volatile SessionState State = SessionState.Listening;
        /// <summary>Caller frames waiting for the pipeline: up to 5 s; beyond that the session is hopelessly behind and frames drop.</summary>
        public Channel<MediaFrame> Uplink { get; } = Channel.CreateBounded<MediaFrame>(new BoundedChannelOptions(250) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    }
}
