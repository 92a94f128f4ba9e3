using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using EdgeVoice.WebRtc.Srtp;
using Org.BouncyCastle.Tls;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>
/// Sans-IO face of one DTLS-SRTP association. BouncyCastle's handshake is blocking, so it runs on a worker thread (<see cref="DtlsHandshakeThreads"/>)
/// fed through a bounded queue; after the handshake, the peer's records (a retransmitted Finished, close_notify) are
/// processed on the thread pool, and our close_notify is written by <see cref="Close"/> itself. One caller thread feeds
/// input and polls output; the worker's output is ready for polling when the optional <c>outputReady</c> callback
/// fires. The handshake deadline runs on the caller's clock; flight retransmission runs on BouncyCastle's own
/// (real-time) timer.
/// </summary>
public abstract class DtlsEndpoint
{
    /// <summary>Largest datagram handed to BouncyCastle; larger ones are dropped.</summary>
    public const int MaxDatagramSize = 2048;

    private readonly Lock _gate = new();
    private readonly Lock _transportGate = new();
    private readonly ConcurrentQueue<byte[]> _transmit = new();
    private readonly ConcurrentQueue<DtlsEvent> _events = new();
    private readonly DtlsDatagramPipe _pipe;
    private readonly Action? _outputReady;
    private DtlsState _state = DtlsState.New;
    private TimeSpan _deadline;
    private Task? _worker;
    private IDtlsHandshake? _handshake;
    private DtlsTransport? _transport;
    private bool _closeRequested;
    private bool _closeSent;
    private int _pumpQueued;
    private int _droppedDatagrams;

    private protected DtlsEndpoint(TimeSpan handshakeTimeout, Action? outputReady)
    {
        if (handshakeTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(handshakeTimeout), handshakeTimeout, "the handshake timeout must be positive");
        HandshakeTimeout = handshakeTimeout;
        _outputReady = outputReady;
        // One wake per flight: the pipe announces its datagrams when the worker next reads, and RunHandshake and Pump
        // signal when they return.
        _pipe = new DtlsDatagramPipe(_transmit.Enqueue, Signal);
    }

    public TimeSpan HandshakeTimeout { get; }

    /// <summary>First flight retransmission delay (doubling after each try); a real-time timer inside BouncyCastle.</summary>
    public TimeSpan InitialRetransmit { get; init; } = TimeSpan.FromSeconds(1);

    public DtlsState State
    {
        get
        {
            lock (_gate)
                return _state;
        }
    }

    /// <summary>Datagrams dropped as junk (not well-formed DTLS records, too large) or because the input queue was full.</summary>
    public int DroppedDatagrams => Volatile.Read(ref _droppedDatagrams);

    /// <summary>The handshake deadline while handshaking; null otherwise.</summary>
    public TimeSpan? NextTimeout
    {
        get
        {
            lock (_gate)
                return _state == DtlsState.Handshaking ? _deadline : null;
        }
    }

    /// <summary>True while a handshake worker or a post-handshake work item is running (tests check that none leak).</summary>
    internal bool IsWorkerRunning => (_worker is { IsCompleted: false }) || Volatile.Read(ref _pumpQueued) != 0;

    internal Task? Worker => _worker;

    /// <summary>The ECDHE group (IANA NamedGroup id) a connected server chose, for tests and logs; -1 otherwise.</summary>
    internal int KeyExchangeGroup => State == DtlsState.Connected ? _handshake?.Outcome.KeyExchangeGroup ?? -1 : -1;

    /// <summary>Takes one datagram from the peer. Junk is dropped here, before BouncyCastle sees it.</summary>
    public void HandleInput(ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        if (datagram.Length > MaxDatagramSize || !DtlsRecord.IsAcceptableFromPeer(datagram, out _))
        {
            Interlocked.Increment(ref _droppedDatagrams);
            return;
        }
        bool pump = false;
        lock (_gate)
        {
            if (_state == DtlsState.New && StartsOnInput)
                StartHandshakeLocked(now);
            if (_state is not (DtlsState.Handshaking or DtlsState.Connected))
                return;
            if (!_pipe.TryPost(datagram))
            {
                Interlocked.Increment(ref _droppedDatagrams);
                return;
            }
            pump = _state == DtlsState.Connected;
        }
        if (pump)
            SchedulePump();
    }

    public bool TryPollTransmit(out ReadOnlyMemory<byte> datagram)
    {
        if (_transmit.TryDequeue(out byte[]? bytes))
        {
            datagram = bytes;
            return true;
        }
        datagram = default;
        return false;
    }

    public bool TryPollEvent([NotNullWhen(true)] out DtlsEvent? e) => _events.TryDequeue(out e);

    /// <summary>Fails the handshake once <paramref name="now"/> reaches its deadline.</summary>
    public void HandleTimeout(TimeSpan now)
    {
        lock (_gate)
        {
            if (_state != DtlsState.Handshaking || now < _deadline)
                return;
            _state = DtlsState.Failed;
            _pipe.Cancel();
            _events.Enqueue(new DtlsEvent.Failed(DtlsError.Timeout, $"no DTLS handshake within {HandshakeTimeout.TotalSeconds:0.###} s"));
        }
        Signal();
    }

    /// <summary>
    /// Ends the association: abandons a handshake in progress; when connected, writes close_notify, which is ready to
    /// poll when Close returns (or, if a record from the peer is being processed at that moment, once the thread pool
    /// has finished it, announced by <c>outputReady</c>).
    /// </summary>
    public void Close()
    {
        bool pump = false;
        lock (_gate)
        {
            switch (_state)
            {
                case DtlsState.New:
                    _state = DtlsState.Closed;
                    return;
                case DtlsState.Handshaking:
                    _state = DtlsState.Closed;
                    _pipe.Cancel();
                    return;
                case DtlsState.Connected:
                    _state = DtlsState.Closed;
                    _closeRequested = true;
                    pump = true;
                    break;
                default:
                    return;
            }
        }
        if (!pump)
            return;
        // Writing close_notify does not block (it goes to the transmit queue), so it needs no work item and no wake
        // unless a record is in BouncyCastle's hands right now.
        if (_transportGate.TryEnter())
        {
            try
            {
                PumpRecords();
                return;
            }
            finally
            {
                _transportGate.Exit();
            }
        }
        SchedulePump();
    }

    /// <summary>The server starts on the client's first datagram; the client starts when told.</summary>
    private protected abstract bool StartsOnInput { get; }

    private protected abstract IDtlsHandshake CreateHandshake(int handshakeTimeoutMillis, int initialRetransmitMillis);

    private protected void StartHandshake(TimeSpan now)
    {
        lock (_gate)
        {
            if (_state == DtlsState.New)
                StartHandshakeLocked(now);
        }
    }

    private void StartHandshakeLocked(TimeSpan now)
    {
        _state = DtlsState.Handshaking;
        _deadline = now + HandshakeTimeout;
        // BouncyCastle's own deadline is a backstop for an owner that stops calling HandleTimeout.
        int backstop = (int)Math.Clamp(HandshakeTimeout.TotalMilliseconds * 2, 1, int.MaxValue);
        int retransmit = (int)Math.Clamp(InitialRetransmit.TotalMilliseconds, 1, int.MaxValue);
        IDtlsHandshake handshake = CreateHandshake(backstop, retransmit);
        _handshake = handshake;
        _worker = DtlsHandshakeThreads.Run(static state =>
        {
            var (endpoint, handshake) = ((DtlsEndpoint, IDtlsHandshake))state!;
            endpoint.RunHandshake(handshake);
        }, (this, handshake));
    }

    private void RunHandshake(IDtlsHandshake handshake)
    {
        DtlsTransport transport;
        try
        {
            transport = handshake.Run(_pipe);
        }
        catch (Exception e)
        {
            lock (_gate)
            {
                if (_state != DtlsState.Handshaking)
                    return;
                _state = DtlsState.Failed;
                _events.Enqueue(BouncyCastleDtls.Describe(e, handshake.Outcome));
            }
            Signal();
            return;
        }

        SrtpKeyingMaterial keys = handshake.Outcome.Keys!;
        bool pump;
        lock (_gate)
        {
            _transport = transport;
            if (_state == DtlsState.Handshaking)
            {
                _state = DtlsState.Connected;
                _events.Enqueue(new DtlsEvent.Connected(keys));
            }
            else if (_state == DtlsState.Closed)
            {
                // Closed while the last flight was in progress: still say goodbye properly.
                _closeRequested = true;
            }
            pump = _closeRequested || _pipe.HasInput;
        }
        if (pump)
            SchedulePump();
        Signal();
    }

    private void SchedulePump()
    {
        if (Interlocked.Exchange(ref _pumpQueued, 1) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static endpoint => endpoint.Pump(), this, preferLocal: false);
    }

    private void Pump()
    {
        try
        {
            lock (_transportGate)
                PumpRecords();
        }
        finally
        {
            Volatile.Write(ref _pumpQueued, 0);
            bool again;
            lock (_gate)
                again = _transport is not null && ((_closeRequested && !_closeSent) || (_state == DtlsState.Connected && _pipe.HasInput));
            if (again)
                SchedulePump();
            Signal();
        }
    }

    private void PumpRecords()
    {
        DtlsTransport? transport;
        lock (_gate)
            transport = _transport;
        if (transport is null)
            return;
        byte[]? buffer = null;
        while (true)
        {
            bool close;
            lock (_gate)
            {
                close = _closeRequested && !_closeSent;
                _closeSent |= close;
                if (!close && (_state != DtlsState.Connected || !_pipe.HasInput))
                    return;
            }
            try
            {
                if (close)
                {
                    transport.Close();
                    return;
                }
                // A 1 ms wait: BouncyCastle only returns early for application data, which WebRTC audio does not use.
                buffer ??= new byte[MaxDatagramSize];
                transport.Receive(buffer, 0, buffer.Length, 1);
            }
            catch (Exception e)
            {
                FailConnected(e is TlsFatalAlertReceived received
                    ? new DtlsEvent.Failed(DtlsError.AlertReceived, "peer sent fatal alert " + AlertDescription.GetText(received.AlertDescription))
                    : new DtlsEvent.Failed(DtlsError.ConnectionFailed, e.Message));
                return;
            }
            if (_pipe.ClosedByTls)
            {
                lock (_gate)
                {
                    if (_state != DtlsState.Connected)
                        return;
                    _state = DtlsState.Closed;
                    _events.Enqueue(new DtlsEvent.Closed());
                }
                return;
            }
        }
    }

    private void FailConnected(DtlsEvent.Failed failure)
    {
        lock (_gate)
        {
            if (_state != DtlsState.Connected)
                return;
            _state = DtlsState.Failed;
            _events.Enqueue(failure);
        }
    }

    private void Signal()
    {
        try
        {
            _outputReady?.Invoke();
        }
        catch (Exception)
        {
            // The owner's wake-up callback must not take down a worker thread.
        }
    }

    private protected static DtlsPeerSettings Settings(DtlsCertificate certificate, DtlsFingerprint peerFingerprint,
        IReadOnlyList<SrtpProfile> profiles, int handshakeTimeoutMillis, int initialRetransmitMillis) =>
        new(certificate, peerFingerprint, profiles, handshakeTimeoutMillis, initialRetransmitMillis);
}
