using System.Diagnostics;
using EdgeVoice.Relay.Sessions;
using EdgeVoice.WebRtc;
using EdgeVoice.WebRtc.Ice;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.Relay.Media;

/// <summary>
/// The one thread that owns the UDP port and every call's media state. Each turn: wait for datagrams (or the
/// next timer), drain the socket in batches, hand each datagram to its call by ufrag token or address,
/// run due timers, send the batch. Under load it sleeps to the next tick of a shared grid (the batch window)
/// between turns, and every call paces its outbound frames on that grid, so one wake-up serves many packets
/// both ways: a datagram waits at most one batch window before it is handled.
/// </summary>
internal sealed class MediaLoop : IDatagramSender, IDisposable
{
    /// <summary>A backstop only: every timer is in some call's NextTimeout, and other threads' news comes with a wake.</summary>
    private static readonly TimeSpan HousekeepingInterval = TimeSpan.FromSeconds(1);

    private readonly UdpBatchSocket _socket;
    private readonly SessionTable _table;
    private readonly UfragTokenVerifier _ufragVerifier;
    private readonly TimeSpan _batchWindow;
    private readonly ILogger _logger;
    private readonly EventFdHandle _wake = EventFdHandle.Create();
    // Cuts a batch sleep short: a talkspurt's first frame for a caller goes out now, not at the next tick.
    private readonly EventFdHandle _wakeNow = EventFdHandle.Create();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<CallSession> _due = new();
    private readonly CallSession?[] _batchCalls; // each datagram's call by address, looked up before the batch is handled
    private int _batchAddressVersion;
    private Thread? _thread;
    private volatile bool _stopping;
    private volatile bool _timersDue;
    private bool _mayHaveWaiting = true;
    private TimeSpan _nextHousekeeping;

    public MediaLoop(UdpBatchSocket socket, SessionTable table, byte[] ufragSecret, TimeSpan batchWindow, ILogger logger)
    {
        _socket = socket;
        _table = table;
        _ufragVerifier = new UfragTokenVerifier(ufragSecret);
        _batchWindow = batchWindow;
        _logger = logger;
        _batchCalls = new CallSession?[socket.BatchSize];
    }

    public RelayCounters Counters { get; } = new();

    public TimeSpan Now => _clock.Elapsed;

    public System.Net.IPEndPoint LocalEndPoint => _socket.LocalEndPoint;

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "edgevoice-media" };
        _thread.Start();
    }

    /// <summary>
    /// Wakes an idle loop and runs the calls' timers on the next turn: a call's DTLS worker has output or events, or its
    /// <see cref="CallerFeed"/> got frames or an end request; any thread.
    /// </summary>
    public void WakeTimers()
    {
        _timersDue = true;
        _wake.Signal();
    }

    /// <summary>
    /// Like <see cref="WakeTimers"/>, and cuts the loop's batch sleep short: a call's feed got the first frame of a
    /// talkspurt, which goes to the caller at once instead of waiting for the next tick (one wake per talkspurt); any thread.
    /// </summary>
    public void WakeNow()
    {
        _timersDue = true;
        _wakeNow.Signal();
        _wake.Signal();
    }

    /// <summary>Ends a call from another thread (HTTP DELETE): the loop sends BYE and close_notify on its next turn.</summary>
    public void HangUp(CallSession session)
    {
        session.RequestHangUp();
        _timersDue = true;
        _wake.Signal();
    }

    /// <summary>Ends every call cleanly (RTCP BYE, DTLS close_notify) and stops the thread.</summary>
    public void Stop()
    {
        _stopping = true;
        _wake.Signal();
        _thread?.Join(TimeSpan.FromSeconds(5));
    }

    private void Run()
    {
        while (!_stopping)
        {
            try
            {
                Turn();
            }
            catch (Exception ex)
            {
                // A bug in one call must not take down the port for every other call.
                _logger.LogError(ex, "media loop turn failed");
            }
        }
        EndAll();
    }

    private void Turn()
    {
        TimeSpan started = _clock.Elapsed;
        _table.AdoptAdded(_batchWindow);
        // After a batch window the datagrams are usually waiting already: take them before paying for poll.
        // After a turn that drained the socket and did not sleep, a blind recvmmsg would come back empty: poll first.
        bool tickWake = _mayHaveWaiting;
        int count = tickWake ? _socket.Receive() : 0;
        bool tickFoundDatagrams = count > 0;
        if (count == 0 && _socket.Wait(_wake, WaitMilliseconds(started)))
            count = _socket.Receive();
        TimeSpan now = _clock.Elapsed;
        int received = 0;
        while (true)
        {
            PrefetchCalls(count);
            for (int i = 0; i < count; i++)
                Dispatch(i, now);
            Array.Clear(_batchCalls, 0, count);
            received += count;
            // A short batch means the socket was drained; only a full one can have more behind it.
            if (count < _socket.BatchSize)
                break;
            count = _socket.Receive();
        }
        _mayHaveWaiting = false;
        _table.AdoptAdded(_batchWindow);
        bool handshakes = _table.Connecting > 0;
        if (_timersDue || now >= _nextHousekeeping || handshakes)
        {
            _timersDue = false;
            RunTimers(now);
        }
        if (_table.Closing.Count > 0)
            FinishClosing(now);
        _socket.Flush();
        // The window saves wake-ups on media but would add itself to every handshake round trip (STUN, 2-3 DTLS flights).
        // Where datagrams come about once a window or less, a sleep to the grid would only add a wake that finds nothing.
        if (received > 0 && _batchWindow > TimeSpan.Zero && !handshakes)
        {
            TimeSpan current = _clock.Elapsed;
            if (current - started < _batchWindow && MediaTick.SleepPays(tickWake, tickFoundDatagrams, now - started, _batchWindow))
            {
                Libc.SleepUnless(_wakeNow, MediaTick.Next(current, _batchWindow) - current);
                _mayHaveWaiting = true;
            }
        }
    }

    /// <summary>
    /// How long an idle loop may wait: to the next call timer. DTLS workers' output and events, new calls and hang-ups
    /// come with a wake, so handshakes need no polling; a closing call's linger ends at the latest at housekeeping.
    /// </summary>
    private int WaitMilliseconds(TimeSpan now)
    {
        if (_table.Active.Count == 0 && _table.Closing.Count == 0)
            return 1000;
        TimeSpan wait = _nextHousekeeping - now;
        return wait <= TimeSpan.Zero ? 0 : (int)Math.Ceiling(wait.TotalMilliseconds);
    }

    /// <summary>
    /// After a batch sleep the calls' state is out of the cache. Handling one datagram after another would wait for each
    /// call's memory in turn; fetching every datagram's call first, a level of references at a time, overlaps the waits.
    /// The calls found stay in <see cref="_batchCalls"/> for <see cref="Dispatch"/>.
    /// </summary>
    private void PrefetchCalls(int count)
    {
        for (int i = 0; i < count; i++)
        {
            CallSession? session = null;
            if (PacketClassifier.Classify(_socket.Datagram(i)) is PacketKind.Rtp or PacketKind.Rtcp && _socket.TrySource(i, out var from))
                _table.TryGetByAddress(from, out session);
            _batchCalls[i] = session;
            CacheLines.Prefetch(session, 4);
        }
        _batchAddressVersion = _table.AddressVersion;
        for (int stage = 0; stage < CallSession.PrefetchStages; stage++)
        {
            for (int i = 0; i < count; i++)
                _batchCalls[i]?.PrefetchMedia(stage);
        }
    }

    /// <summary>
    /// The call a media datagram's source address routes to: the one the prefetch pass found, unless an earlier datagram
    /// of the batch changed the routes since (a STUN check bound an address, a BYE or a failure ended a call).
    /// </summary>
    private bool TryGetMediaCall(int index, TransportAddress from, out CallSession session)
    {
        if (_table.AddressVersion != _batchAddressVersion)
            return _table.TryGetByAddress(from, out session);
        session = _batchCalls[index]!;
        return session is not null;
    }

    private void Dispatch(int index, TimeSpan now)
    {
        Counters.DatagramsReceived++;
        Span<byte> buffer = _socket.DatagramBuffer(index, out int length);
        if (!_socket.TrySource(index, out var from))
            return;
        ReadOnlySpan<byte> datagram = buffer[..length];
        var kind = PacketClassifier.Classify(datagram);
        switch (kind)
        {
            case PacketKind.Stun:
                DispatchStun(datagram, from, now);
                break;
            case PacketKind.Dtls:
                if (_table.TryGetByAddress(from, out var dtlsSession))
                    dtlsSession.HandleDtls(datagram, from, now);
                else
                    Counters.UnroutedDatagrams++;
                break;
            case PacketKind.Rtp:
            case PacketKind.Rtcp:
                if (TryGetMediaCall(index, from, out var mediaSession))
                    mediaSession.HandleSrtp(buffer, length, kind, now);
                else
                    Counters.UnroutedDatagrams++;
                break;
            default:
                Counters.UnknownKind++;
                break;
        }
    }

    private void DispatchStun(ReadOnlySpan<byte> datagram, TransportAddress from, TimeSpan now)
    {
        if (!StunMessage.TryParse(datagram, out var message, out _))
        {
            Counters.StunMalformed++;
            return;
        }
        if (!message.IsBindingRequest)
        {
            Counters.StunNotRequest++;
            return;
        }
        // The token is checked before any lookup, so a forged ufrag costs one MAC and allocates nothing.
        if (!UfragToken.TrySplitUsername(message.Username, out var localUfrag, out _)
            || !_ufragVerifier.TryRead(localUfrag, out ulong sessionId))
        {
            Counters.StunForged++;
            return;
        }
        if (!_table.TryGetById(sessionId, out var session) || session.Phase == CallPhase.Ended)
        {
            Counters.StunUnknownSession++;
            return;
        }
        session.HandleStun(message, from, now);
    }

    private void RunTimers(TimeSpan now)
    {
        DateTimeOffset wallClock = DateTimeOffset.UtcNow;
        var active = _table.Active;
        _due.Clear();
        for (int i = 0; i < active.Count; i++)
        {
            var session = active[i];
            if (session.HangUpRequested || session.Phase == CallPhase.Connecting || session.NextTimeout() <= now)
                _due.Add(session);
        }
        foreach (var session in _due)
            session.HandleTimeout(now, wallClock);
        TimeSpan next = now + HousekeepingInterval;
        for (int i = 0; i < active.Count; i++)
        {
            TimeSpan timeout = active[i].NextTimeout();
            if (timeout < next)
                next = timeout;
        }
        _nextHousekeeping = next;
    }

    private void EndAll()
    {
        _table.AdoptAdded(_batchWindow);
        foreach (var session in _table.Active.ToArray())
            session.End(CallEndReason.RelayStopping);
        // Each session gives up on its close_notify after a bounded linger, so this ends.
        while (true)
        {
            FinishClosing(_clock.Elapsed);
            _socket.Flush();
            if (_table.Closing.Count == 0)
                break;
            Thread.Sleep(1);
        }
    }

    private void FinishClosing(TimeSpan now)
    {
        var closing = _table.Closing;
        for (int i = closing.Count - 1; i >= 0; i--)
        {
            if (closing[i].TryFinishClose(now))
                closing.RemoveAt(i);
        }
    }

    public Span<byte> SendSlot() => _socket.SendSlot();

    public void Commit(int length, TransportAddress destination) => _socket.Commit(length, destination);

    public void Send(ReadOnlySpan<byte> datagram, TransportAddress destination) => _socket.Send(datagram, destination);

    public void Dispose()
    {
        _socket.Dispose();
        _wake.Dispose();
        _wakeNow.Dispose();
        _ufragVerifier.Dispose();
    }
}
