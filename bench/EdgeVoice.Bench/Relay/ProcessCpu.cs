using System.Runtime.InteropServices;

namespace EdgeVoice.Bench.Relay;

/// <summary>A process's CPU time (utime + stime from /proc/PID/stat) and its threads' voluntary context switches (wake-ups).</summary>
internal readonly record struct CpuSample(TimeSpan Cpu, long Wakeups, long MediaThreadWakeups, long Timestamp)
{
    public static CpuSample Read(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name "(...)": state is field 3, utime field 14, stime field 15.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        long wakeups = 0;
        long media = 0;
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            long switches = ReadVoluntarySwitches(task);
            wakeups += switches;
            if (TryReadText(Path.Combine(task, "comm"))?.Trim() == "edgevoice-media")
                media += switches;
        }
        return new CpuSample(TimeSpan.FromSeconds((double)ticks / ClockTicks.PerSecond), wakeups, media, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    public static CpuDelta operator -(CpuSample after, CpuSample before) => new(
        after.Cpu - before.Cpu,
        after.Wakeups - before.Wakeups,
        after.MediaThreadWakeups - before.MediaThreadWakeups,
        System.Diagnostics.Stopwatch.GetElapsedTime(before.Timestamp, after.Timestamp));

    private static long ReadVoluntarySwitches(string task)
    {
        string? status = TryReadText(Path.Combine(task, "status"));
        if (status is null)
            return 0; // the thread exited between listing and reading
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan("voluntary_ctxt_switches:".Length).Trim());
        }
        return 0;
    }

    private static string? TryReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>CPU and wake-ups over a measured interval of wall time.</summary>
internal readonly record struct CpuDelta(TimeSpan Cpu, long Wakeups, long MediaThreadWakeups, TimeSpan Wall)
{
    public double WakeupsPerSecond => Wakeups / Wall.TotalSeconds;
    public double MediaWakeupsPerSecond => MediaThreadWakeups / Wall.TotalSeconds;
}

/// <summary>The kernel's clock tick (USER_HZ) that /proc/PID/stat counts in.</summary>
internal static partial class ClockTicks
{
    private const int ScClkTck = 2;

    public static long PerSecond { get; } = Query();

    private static long Query()
    {
        long hz = sysconf(ScClkTck);
        return hz > 0 ? hz : 100;
    }

    [LibraryImport("libc")]
    private static partial long sysconf(int name);
}
