using System.Runtime.InteropServices;

namespace EdgeVoice.Bench.Dtls;

/// <summary>libc's per-thread CPU clock: the server handshake's own CPU, whatever the client thread does meanwhile.</summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);

    /// <summary>CPU time used so far by the calling thread, in nanoseconds.</summary>
    public static long NowNanoseconds()
    {
        if (ClockGetTime(ClockThreadCpuTimeId, out TimeSpec time) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return time.Seconds * 1_000_000_000 + time.Nanoseconds;
    }
}
