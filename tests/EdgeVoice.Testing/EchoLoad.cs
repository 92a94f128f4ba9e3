using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace EdgeVoice.Testing;

/// <summary>
/// Drives many connected <see cref="IEchoPeer"/>s (synthetic WebRTC callers, or bare UDP sockets for the baseline) from ONE thread, as an echo load: every tick (20 ms) each caller
/// sends one Opus-sized frame whose payload carries (caller index, frame number); between ticks the thread polls every
/// caller's socket and timestamps each echo that comes back. Each caller also sends a consent check every 5 s, as browsers do. Cheap on the client side so that the relay's CPU is what a
/// benchmark measures, and the same traffic for any relay. With <c>spread</c> the callers' sends are spaced evenly over
/// the tick (as independent callers would be, at the poll's 1 ms resolution) instead of in one burst per tick.
/// Results are read after <see cref="Stop"/>.
/// </summary>
public sealed unsafe class EchoLoad : IDisposable
{
    private const int HeaderBytes = 8; // caller index, frame number (both big-endian uint32)

    private const int ConsentEveryFrames = 250; // 5 s at 20 ms

    private readonly IReadOnlyList<IEchoPeer> _callers;
    private readonly int _payloadBytes;
    private readonly TimeSpan _tick;
    private readonly int _capacity;
    private readonly bool _spread;
    private readonly long[][] _sentAt;     // Stopwatch timestamp per caller per frame, 0 = not sent
    private readonly long[][] _echoedAt;   // Stopwatch timestamp of the first echo, 0 = none
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
                rtts.Add((_echoedAt[c][f] - _sentAt[c][f]) * 1000.0 / Stopwatch.Frequency);
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
        var fds = new Libc.PollFd[count];
        for (int i = 0; i < count; i++)
            fds[i] = new Libc.PollFd { Fd = (int)_callers[i].Socket.Handle, Events = Libc.POLLIN };
        byte[] payload = new byte[_payloadBytes];
        for (int i = HeaderBytes; i < payload.Length; i++)
            payload[i] = (byte)(i * 7);
        byte[] datagram = new byte[2048];
        byte[] opened = new byte[2048];
        long tickTicks = (long)(_tick.TotalSeconds * Stopwatch.Frequency);
        long start = Stopwatch.GetTimestamp();
        int frame = 0;
        int next = 0; // the next caller to send in this frame
        while (!_stopping)
        {
            long due = start + frame * tickTicks + (_spread ? tickTicks * next / count : 0);
            long now = Stopwatch.GetTimestamp();
            if (now >= due)
            {
                if (_sending && frame < _capacity)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)next);
                    BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)frame);
                    _sentAt[next][frame] = Stopwatch.GetTimestamp();
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
            int waitMs = (int)Math.Ceiling((due - now) * 1000.0 / Stopwatch.Frequency);
            int ready;
            fixed (Libc.PollFd* p = fds)
                ready = Libc.poll(p, (nuint)count, waitMs);
            if (ready <= 0)
                continue;
            for (int c = 0; c < count; c++)
            {
                if ((fds[c].ReturnedEvents & Libc.POLLIN) != 0)
                    Drain(c, datagram, opened);
            }
        }
    }

    private void Drain(int caller, byte[] datagram, byte[] opened)
    {
        var socket = _callers[caller].Socket;
        while (true)
        {
            int length = socket.Receive(datagram, 0, datagram.Length, SocketFlags.None, out SocketError error);
            if (error != SocketError.Success || length <= 0)
                return;
            long at = Stopwatch.GetTimestamp();
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
            _echoedAt[caller][frame] = at;
        }
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
