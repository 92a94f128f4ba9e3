using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Net.Sockets;

namespace EdgeVoice.Testing;

/// <summary>
/// Drives many connected <see cref="IEchoPeer"/>s (synthetic WebRTC callers, or bare UDP sockets for the baseline) from ONE thread, as an echo load: every tick (20 ms) each caller
/// sends one Opus-sized frame whose payload carries (caller index, frame number); between sends the thread sleeps on a
/// clock, never on the sockets, and reads the echoes that came back with the kernel's receive timestamp. Callers on
/// remote machines cost a server nothing to wake; on loopback a caller blocked in poll would be woken inside the server's
/// send and charged to the server's CPU, so none is. Each caller also sends a consent check every 5 s, as browsers do. Cheap on the client side so that the relay's CPU is what a
/// benchmark measures, and the same traffic for any relay. With <c>spread</c> the callers' sends are spaced evenly over
/// the tick (as independent callers would be, at the poll's 1 ms resolution) instead of in one burst per tick.
/// Results are read after <see cref="Stop"/>.
/// </summary>
public sealed unsafe class EchoLoad : IDisposable
{
    private const int HeaderBytes = 8; // caller index, frame number (both big-endian uint32)

    private const int ConsentEveryFrames = 250; // 5 s at 20 ms
    private const int ControlBytes = 64;
    private const long WakeResolutionNs = 1_000_000;

    private readonly IReadOnlyList<IEchoPeer> _callers;
    private readonly int _payloadBytes;
    private readonly TimeSpan _tick;
    private readonly int _capacity;
    private readonly bool _spread;
    private readonly long[][] _sentAt;     // CLOCK_REALTIME ns per caller per frame, 0 = not sent
    private readonly long[][] _echoedAt;   // kernel receive time (CLOCK_REALTIME ns) of the first echo, 0 = none
    private readonly Thread _thread;
    private volatile bool _sending = true;
    private volatile bool _stopping;
    private volatile int _framesStarted;
    private Exception? _failure;

    public EchoLoad(IReadOnlyList<IEchoPeer> callers, int capacityFrames, bool spread = false, int payloadBytes = 160, TimeSpan? tick = null)
    {
        _spread = spread;
        if (payloadBytes < HeaderBytes)
            throw new ArgumentOutOfRangeException(nameof(payloadBytes), $"payload must hold at least {HeaderBytes} bytes");
        _callers = callers;
        _payloadBytes = payloadBytes;
        _tick = tick ?? TimeSpan.FromMilliseconds(20);
        _capacity = capacityFrames;
        _sentAt = new long[callers.Count][];
        _echoedAt = new long[callers.Count][];
        for (int i = 0; i < callers.Count; i++)
        {
            _sentAt[i] = new long[capacityFrames];
            _echoedAt[i] = new long[capacityFrames];
            callers[i].Socket.Blocking = false;
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "echo-load" };
    }

    /// <summary>Echoes that did not match a frame this load sent (wrong caller, unknown frame, duplicate).</summary>
    public long Unexpected { get; private set; }

    /// <summary>Datagrams that were not SRTP for the caller (STUN keepalives, RTCP, DTLS).</summary>
    public long NonMedia { get; private set; }

    /// <summary>The number of the next frame tick; frames below it have been sent (or are being sent).</summary>
    public int FramesStarted => _framesStarted;

    public void Start() => _thread.Start();

    /// <summary>Stops sending new frames; echoes still in flight keep being received until <see cref="Stop"/>.</summary>
    public void StopSending() => _sending = false;

    public void Stop()
    {
        _sending = false;
        _stopping = true;
        _thread.Join();
        if (_failure is not null)
            throw new InvalidOperationException("echo load thread failed", _failure);
    }

    /// <summary>Frames [from, to) of every caller: how many were sent, echoed, and the round trips of those echoed.</summary>
    public EchoResult Collect(int from, int to)
    {
        long sent = 0;
        long echoed = 0;
        var rtts = new List<double>();
        for (int c = 0; c < _callers.Count; c++)
        {
            for (int f = from; f < Math.Min(to, _capacity); f++)
            {
                if (_sentAt[c][f] == 0)
                    continue;
                sent++;
                if (_echoedAt[c][f] == 0)
                    continue;
                echoed++;
                rtts.Add((_echoedAt[c][f] - _sentAt[c][f]) / 1e6);
            }
        }
        rtts.Sort();
        return new EchoResult(sent, echoed, Percentile(rtts, 0.50), Percentile(rtts, 0.99), rtts.Count > 0 ? rtts[^1] : double.NaN);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private void Run()
    {
        try
        {
            Loop();
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
    }

    private void Loop()
    {
        int count = _callers.Count;
        int epoll = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (epoll < 0)
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            for (int i = 0; i < count; i++)
                Watch(epoll, (int)_callers[i].Socket.Handle, i);
            Drive(epoll, count);
        }
        finally
        {
            Libc.close(epoll);
        }
    }

    private static void Watch(int epoll, int fd, int caller)
    {
        int on = 1;
        if (Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_TIMESTAMPNS, &on, sizeof(int)) != 0)
            throw new InvalidOperationException($"SO_TIMESTAMPNS failed: errno {Marshal.GetLastPInvokeError()}");
        var watch = new Libc.EpollEvent { Events = Libc.EPOLLIN, Data = (ulong)caller };
        if (Libc.epoll_ctl(epoll, Libc.EPOLL_CTL_ADD, fd, &watch) != 0)
            throw new InvalidOperationException($"epoll_ctl failed: errno {Marshal.GetLastPInvokeError()}");
    }

    private void Drive(int epoll, int count)
    {
        byte[] payload = new byte[_payloadBytes];
        for (int i = HeaderBytes; i < payload.Length; i++)
            payload[i] = (byte)(i * 7);
        byte[] datagram = new byte[2048];
        byte[] opened = new byte[2048];
        var ready = new Libc.EpollEvent[count];
        long tickNs = _tick.Ticks * 100;
        long start = Libc.Now(Libc.CLOCK_MONOTONIC);
        long lastWake = start;
        int frame = 0;
        int next = 0; // the next caller to send in this frame
        while (!_stopping)
        {
            long due = start + frame * tickNs + (_spread ? tickNs * next / count : 0);
            long now = Libc.Now(Libc.CLOCK_MONOTONIC);
            if (now >= due)
            {
                if (_sending && frame < _capacity)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)next);
                    BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)frame);
                    _sentAt[next][frame] = Libc.Now(Libc.CLOCK_REALTIME);
                    _callers[next].SendFrame(payload);
                    if ((frame + next) % ConsentEveryFrames == 0)
                        _callers[next].SendConsentCheck();
                }
                if (++next == count)
                {
                    next = 0;
                    frame++;
                    _framesStarted = frame;
                }
                continue;
            }
            int readyCount;
            fixed (Libc.EpollEvent* events = ready)
                readyCount = Libc.epoll_wait(epoll, events, count, 0);
            for (int i = 0; i < readyCount; i++)
                Drain((int)ready[i].Data, datagram, opened);
            // Never blocked on the sockets, so the relay's sends wake nobody; at most one sleep per millisecond.
            lastWake = Math.Max(due, lastWake + WakeResolutionNs);
            var until = Libc.TimeSpec.FromNanoseconds(lastWake);
            Libc.clock_nanosleep(Libc.CLOCK_MONOTONIC, Libc.TIMER_ABSTIME, &until, null);
        }
    }

    private void Drain(int caller, byte[] datagram, byte[] opened)
    {
        int fd = (int)_callers[caller].Socket.Handle;
        byte* control = stackalloc byte[ControlBytes];
        while (true)
        {
            long receivedAt;
            int length;
            fixed (byte* buffer = datagram)
            {
                var iov = new Libc.IoVec { Base = buffer, Length = (nuint)datagram.Length };
                var message = new Libc.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlBytes };
                nint got = Libc.recvmsg(fd, &message, Libc.MSG_DONTWAIT);
                if (got <= 0)
                    return;
                length = (int)got;
                receivedAt = KernelTimestamp(&message) ?? Libc.Now(Libc.CLOCK_REALTIME);
            }
            if (!_callers[caller].TryOpenEcho(datagram, length, opened, out int payloadLength)
                || payloadLength < HeaderBytes)
            {
                NonMedia++;
                continue;
            }
            uint who = BinaryPrimitives.ReadUInt32BigEndian(opened);
            uint frame = BinaryPrimitives.ReadUInt32BigEndian(opened.AsSpan(4));
            if (who != caller || frame >= _capacity || _sentAt[caller][frame] == 0 || _echoedAt[caller][frame] != 0)
            {
                Unexpected++;
                continue;
            }
            _echoedAt[caller][frame] = receivedAt;
        }
    }

    /// <summary>The SCM_TIMESTAMPNS control message: when the datagram reached the socket (CLOCK_REALTIME), however late it is read.</summary>
    private static long? KernelTimestamp(Libc.MsgHdr* message)
    {
        byte* at = (byte*)message->Control;
        byte* end = at + message->ControlLength;
        while (at + sizeof(Libc.CmsgHdr) <= end)
        {
            var header = (Libc.CmsgHdr*)at;
            if (header->Length < (nuint)sizeof(Libc.CmsgHdr))
                return null;
            if (header->Level == Libc.SOL_SOCKET && header->Type == Libc.SO_TIMESTAMPNS)
                return ((Libc.TimeSpec*)(at + sizeof(Libc.CmsgHdr)))->TotalNanoseconds;
            at += (header->Length + 7) & ~(nuint)7;
        }
        return null;
    }

    public void Dispose()
    {
        if (_thread.IsAlive)
        {
            _stopping = true;
            _thread.Join();
        }
    }
}

/// <summary>Frames sent and echoed in a window, and the echo round trip in milliseconds.</summary>
public readonly record struct EchoResult(long Sent, long Echoed, double RttP50Ms, double RttP99Ms, double RttMaxMs)
{
    public double Loss => Sent == 0 ? double.NaN : 1.0 - (double)Echoed / Sent;
}
