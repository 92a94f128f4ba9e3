using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EdgeVoice.WebRtc;

namespace EdgeVoice.Relay.Media;

/// <summary>
/// The relay's one UDP socket with batched I/O: recvmmsg drains every queued datagram in one call and
/// sendmmsg sends a whole batch, so the cost per packet is not a system call and a thread wake-up.
/// Buffers are native and fixed: nothing is allocated per datagram. Used by one thread, the media loop.
/// </summary>
internal sealed unsafe class UdpBatchSocket : IDisposable
{
    public const int SlotSize = 2048;
    /// <summary>Room for a sockaddr_in6 (28 bytes), the largest address this socket receives from.</summary>
    private const int NameSize = 32;

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly bool _ipv6;
    private readonly int _batch;
    private readonly Batch _receive;
    private readonly Batch _send;
    private int _sendCount;
    private int _received;

    public UdpBatchSocket(IPEndPoint listen, int batchSize = 64, int bufferBytes = 4 << 20)
    {
        _batch = batchSize;
        _socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (listen.AddressFamily == AddressFamily.InterNetworkV6)
            _socket.DualMode = true;
        _socket.ReceiveBufferSize = bufferBytes;
        _socket.SendBufferSize = bufferBytes;
        _socket.Bind(listen);
        _socket.Blocking = false;
        _fd = (int)_socket.Handle;
        _ipv6 = listen.AddressFamily == AddressFamily.InterNetworkV6;
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _receive = new Batch(batchSize);
        _send = new Batch(batchSize);
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>How many datagrams one <see cref="Receive"/> can return.</summary>
    public int BatchSize => _batch;

    public long SendDrops { get; private set; }

    /// <summary>
    /// Waits until a datagram is readable, the wake handle is signalled, or the timeout passes; true when the socket
    /// has something for <see cref="Receive"/> (a datagram, or a pending error that recvmmsg reports and clears).
    /// </summary>
    public bool Wait(EventFdHandle wake, int timeoutMilliseconds)
    {
        Libc.PollFd* fds = stackalloc Libc.PollFd[2];
        fds[0] = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
        fds[1] = new Libc.PollFd { Fd = wake.Fd, Events = Libc.POLLIN };
        int ready = Libc.poll(fds, 2, timeoutMilliseconds);
        if (ready <= 0)
            return false;
        if ((fds[1].ReturnedEvents & Libc.POLLIN) != 0)
            wake.Drain();
        return fds[0].ReturnedEvents != 0;
    }

    /// <summary>Receives every queued datagram (up to the batch size) without blocking; returns how many.</summary>
    public int Receive()
    {
        // The kernel writes back only the headers of the datagrams it returned (never the iovecs): reset those, not the
        // whole batch, which after a batch sleep is memory the cache has lost.
        for (int i = 0; i < _received; i++)
        {
            _receive.Messages[i].Header.NameLength = NameSize;
            _receive.Messages[i].Header.Flags = 0;
        }
        int count = Libc.recvmmsg(_fd, _receive.Messages, (uint)_batch, Libc.MSG_DONTWAIT, null);
        _received = count < 0 ? 0 : count;
        return _received;
    }

    public ReadOnlySpan<byte> Datagram(int index) => new(_receive.Slot(index), (int)_receive.Messages[index].Length);

    /// <summary>A received datagram's buffer, writable so SRTP can decrypt in place.</summary>
    public Span<byte> DatagramBuffer(int index, out int length)
    {
        length = (int)_receive.Messages[index].Length;
        return new Span<byte>(_receive.Slot(index), SlotSize);
    }

    public bool TrySource(int index, out TransportAddress source) =>
        TryReadSockAddr(new ReadOnlySpan<byte>(_receive.Name(index), (int)Math.Min(_receive.Messages[index].Header.NameLength, NameSize)), out source);

    /// <summary>The next free send slot; fill it and call <see cref="Commit"/>.</summary>
    public Span<byte> SendSlot()
    {
        if (_sendCount == _batch)
            Flush();
        return new Span<byte>(_send.Slot(_sendCount), SlotSize);
    }

    public void Commit(int length, TransportAddress destination)
    {
        ref var message = ref _send.Messages[_sendCount];
        message.Header.NameLength = (uint)WriteSockAddr(new Span<byte>(_send.Name(_sendCount), NameSize), destination);
        _send.Iov[_sendCount].Length = (nuint)length;
        _sendCount++;
    }

    public void Send(ReadOnlySpan<byte> datagram, TransportAddress destination)
    {
        if (datagram.Length > SlotSize)
        {
            SendDrops++;
            return;
        }
        datagram.CopyTo(SendSlot());
        Commit(datagram.Length, destination);
    }

    /// <summary>Sends the pending batch; datagrams the kernel will not take now are dropped and counted, as UDP would.</summary>
    public void Flush()
    {
        int offset = 0;
        while (offset < _sendCount)
        {
            int sent = Libc.sendmmsg(_fd, _send.Messages + offset, (uint)(_sendCount - offset), Libc.MSG_DONTWAIT);
            if (sent <= 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (sent < 0 && errno == Libc.EINTR)
                    continue;
                // EAGAIN (buffer full) or a per-destination error on the first message: skip that one and go on.
                SendDrops++;
                offset++;
                continue;
            }
            offset += sent;
        }
        _sendCount = 0;
    }

    private int WriteSockAddr(Span<byte> name, TransportAddress address)
    {
        name[..28].Clear();
        if (!_ipv6)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(name, Libc.AF_INET);
            BinaryPrimitives.WriteUInt16BigEndian(name[2..], address.Port);
            address.WriteAddress(name[4..]);
            return 16;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(name, Libc.AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(name[2..], address.Port);
        if (address.IsIPv4)
        {
            name[18] = 0xFF;
            name[19] = 0xFF;
            address.WriteAddress(name[20..]);
        }
        else
        {
            address.WriteAddress(name[8..]);
        }
        return 28;
    }

    internal static bool TryReadSockAddr(ReadOnlySpan<byte> name, out TransportAddress address)
    {
        address = default;
        if (name.Length < 16)
            return false;
        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(name);
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(name[2..]);
        if (family == Libc.AF_INET)
        {
            address = TransportAddress.FromIPv4(name.Slice(4, 4), port);
            return true;
        }
        if (family == Libc.AF_INET6 && name.Length >= 24)
        {
            address = TransportAddress.FromIPv6(name.Slice(8, 16), port);
            return true;
        }
        return false;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _receive.Dispose();
        _send.Dispose();
    }

    /// <summary>Native, pinned message headers and buffers for one direction.</summary>
    private sealed class Batch : IDisposable
    {
        private readonly byte* _memory;
        public readonly Libc.MMsgHdr* Messages;
        public readonly Libc.IoVec* Iov;
        private readonly byte* _names;
        private readonly byte* _slots;

        public Batch(int count)
        {
            nuint size = (nuint)(count * (sizeof(Libc.MMsgHdr) + sizeof(Libc.IoVec) + NameSize + SlotSize));
            _memory = (byte*)NativeMemory.AlignedAlloc(size, 64);
            NativeMemory.Clear(_memory, size);
            Messages = (Libc.MMsgHdr*)_memory;
            Iov = (Libc.IoVec*)(Messages + count);
            _names = (byte*)(Iov + count);
            _slots = _names + count * NameSize;
            for (int i = 0; i < count; i++)
            {
                Iov[i].Base = _slots + i * SlotSize;
                Iov[i].Length = SlotSize;
                Messages[i].Header.Iov = Iov + i;
                Messages[i].Header.IovLength = 1;
                Messages[i].Header.Name = _names + i * NameSize;
                Messages[i].Header.NameLength = NameSize;
            }
        }

        public byte* Slot(int index) => _slots + index * SlotSize;
        public byte* Name(int index) => _names + index * NameSize;

        public void Dispose() => NativeMemory.AlignedFree(_memory);
    }
}
