using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>BouncyCastle's blocking DatagramTransport, fed from the facade's HandleInput and drained by TryPollTransmit.</summary>
internal sealed class DtlsDatagramPipe : DatagramTransport
{
    /// <summary>WebRTC keeps DTLS datagrams under a typical path MTU; BouncyCastle fragments handshake messages to this.</summary>
    public const int SendLimit = 1200;

    private readonly BlockingCollection<byte[]> _inbox = new(new ConcurrentQueue<byte[]>(), boundedCapacity: 64);
    private readonly CancellationTokenSource _cancel = new();
    private readonly Action<byte[]> _send;
    private volatile bool _muted;
    private volatile bool _closedByTls;

    public DtlsDatagramPipe(Action<byte[]> send) => _send = send;

    public bool HasInput => _inbox.Count > 0;

    /// <summary>BouncyCastle closed the transport: after a close_notify (sent or received) or a fatal alert.</summary>
    public bool ClosedByTls => _closedByTls;

    /// <summary>Queues one datagram for the worker; false when the queue is full (the datagram is dropped, DTLS retransmits).</summary>
    public bool TryPost(ReadOnlySpan<byte> datagram) => !_cancel.IsCancellationRequested && _inbox.TryAdd(datagram.ToArray());

    /// <summary>Ends a blocked handshake: its pending Receive throws, and nothing more it sends goes out.</summary>
    public void Cancel()
    {
        _muted = true;
        _cancel.Cancel();
    }

    public int GetReceiveLimit() => DtlsEndpoint.MaxDatagramSize;

    public int GetSendLimit() => SendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        // A zero wait means "forever" to BouncyCastle.
        if (!_inbox.TryTake(out byte[]? datagram, waitMillis == 0 ? Timeout.Infinite : waitMillis, _cancel.Token))
            return -1;
        if (datagram.Length > buffer.Length)
            return -1;
        datagram.CopyTo(buffer);
        return datagram.Length;
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (!_muted)
            _send(buffer.ToArray());
    }

    public void Close() => _closedByTls = true;
}
