using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>
/// BouncyCastle's blocking DatagramTransport, fed from the facade's HandleInput and drained by TryPollTransmit. What
/// BouncyCastle sends is handed on (<c>send</c>) at once but announced (<c>flush</c>) once per flight: when the worker
/// next reads (a flight ends with a wait for the peer's answer), so the owner wakes once per flight, not per datagram.
/// Whoever drives BouncyCastle announces what a call that ends without a read has sent (the last flight, close_notify).
/// </summary>
internal sealed class DtlsDatagramPipe : DatagramTransport
{
    /// <summary>WebRTC keeps DTLS datagrams under a typical path MTU; BouncyCastle fragments handshake messages to this.</summary>
    public const int SendLimit = 1200;

    private const int InboxCapacity = 64;

    // A queue and an event that blocks without spinning: BlockingCollection's semaphore spins (sched_yield) before it
    // sleeps, which showed as ~5% of relay CPU per call setup; a handshake's next datagram is a round trip away anyway.
    private readonly ConcurrentQueue<byte[]> _inbox = new();
    private readonly ManualResetEventSlim _arrived = new(initialState: false, spinCount: 0);
    private int _inboxCount;
    private readonly CancellationTokenSource _cancel = new();
    private readonly Action<byte[]> _send;
    private readonly Action? _flush;
    private volatile bool _sentSinceFlush;
    private volatile bool _muted;
    private volatile bool _closedByTls;

    public DtlsDatagramPipe(Action<byte[]> send, Action? flush = null)
    {
        _send = send;
        _flush = flush;
    }

    public bool HasInput => Volatile.Read(ref _inboxCount) > 0;

    /// <summary>BouncyCastle closed the transport: after a close_notify (sent or received) or a fatal alert.</summary>
    public bool ClosedByTls => _closedByTls;

    /// <summary>Queues one datagram for the worker; false when the queue is full (the datagram is dropped, DTLS retransmits).</summary>
    public bool TryPost(ReadOnlySpan<byte> datagram)
    {
        if (_cancel.IsCancellationRequested)
            return false;
        if (Interlocked.Increment(ref _inboxCount) > InboxCapacity)
        {
            Interlocked.Decrement(ref _inboxCount);
            return false;
        }
        _inbox.Enqueue(datagram.ToArray());
        _arrived.Set();
        return true;
    }

    /// <summary>Ends a blocked handshake: its pending Receive throws, and nothing more it sends goes out.</summary>
    public void Cancel()
    {
        _muted = true;
        _cancel.Cancel();
    }

    public int GetReceiveLimit() => DtlsEndpoint.MaxDatagramSize;

    public int GetSendLimit() => SendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    /// <summary>One consumer at a time (the handshake, then the record pump); throws OperationCanceledException after <see cref="Cancel"/>.</summary>
    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_sentSinceFlush)
        {
            _sentSinceFlush = false;
            _flush?.Invoke();
        }
        // A zero wait means "forever" to BouncyCastle.
        long deadline = waitMillis == 0 ? long.MaxValue : Environment.TickCount64 + waitMillis;
        byte[]? datagram;
        while (!TryTake(out datagram))
        {
            _arrived.Reset();
            // Re-checked after the reset: a datagram posted in between has set the event before it, not after.
            if (TryTake(out datagram))
                break;
            long remaining = deadline == long.MaxValue ? Timeout.Infinite : deadline - Environment.TickCount64;
            if (remaining != Timeout.Infinite && remaining <= 0)
                return -1;
            _arrived.Wait((int)Math.Min(remaining, int.MaxValue), _cancel.Token);
        }
        if (datagram.Length > buffer.Length)
            return -1;
        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    private bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? datagram)
    {
        _cancel.Token.ThrowIfCancellationRequested();
        if (!_inbox.TryDequeue(out datagram))
            return false;
        Interlocked.Decrement(ref _inboxCount);
        return true;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_muted)
            return;
        _send(buffer.ToArray());
        _sentSinceFlush = true;
    }

    public void Close() => _closedByTls = true;
}
