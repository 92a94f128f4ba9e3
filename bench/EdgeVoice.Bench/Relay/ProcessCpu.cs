using System.Runtime.InteropServices;

namespace EdgeVoice.Bench.Relay;

/// <summary>
/// A process's CPU time and its threads' voluntary context switches (wake-ups). The CPU time comes from the process's
/// own cgroup (<see cref="CpuCgroup"/>) in microseconds where the bench could give it one, else from utime + stime in
/// /proc/PID/stat, which counts in clock ticks (10 ms: 0.125 ms per call-second over 8 calls and 10 s).
/// </summary>
internal readonly record struct CpuSample(TimeSpan Cpu, long Wakeups, long MediaThreadWakeups, long Timestamp)
{
    public static CpuSample Read(int pid)
    {
        TimeSpan cpu = CpuCgroup.TryReadUsage(pid) ?? TicksOf(pid);
        long wakeups = 0;
        long media = 0;
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            long switches = ReadVoluntarySwitches(task);
            wakeups += switches;
            if (TryReadText(Path.Combine(task, "comm"))?.Trim() == "edgevoice-media")
                media += switches;
        }
        return new CpuSample(cpu, wakeups, media, System.Diagnostics.Stopwatch.GetTimestamp());
    }

    private static TimeSpan TicksOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name "(...)": state is field 3, utime field 14, stime field 15.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        return TimeSpan.FromSeconds((double)ticks / ClockTicks.PerSecond);
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

    internal static string? TryReadText(string path)
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

/// <summary>
/// Gives a child process a cgroup v2 of its own (root only, cgroup2 mounted), whose cpu.stat counts the CPU of every
/// thread it ever ran, in microseconds. Without one, <see cref="CpuSample"/> falls back to clock ticks.
/// </summary>
internal static class CpuCgroup
{
    private const string Prefix = "edgevoice-bench-";

    private static readonly string? Mount = FindMount();

    public static bool Available => Mount is not null;

    /// <summary>Moves the process (all its threads) into a new cgroup; false where that cannot be done here.</summary>
    public static bool TryAdopt(int pid)
    {
        if (Mount is null)
            return false;
        string directory = Path.Combine(Mount, Prefix + pid);
        try
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "cgroup.procs"), pid.ToString());
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Release(pid);
            return false;
        }
    }

    /// <summary>Removes the process's cgroup once it has exited (an empty cgroup is removed with rmdir).</summary>
    public static void Release(int pid)
    {
        if (Mount is null)
            return;
        try
        {
            Directory.Delete(Path.Combine(Mount, Prefix + pid));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Still busy or never made: a leftover empty cgroup costs nothing.
        }
    }

    public static TimeSpan? TryReadUsage(int pid)
    {
        if (Mount is null)
            return null;
        string? stat = CpuSample.TryReadText(Path.Combine(Mount, Prefix + pid, "cpu.stat"));
        if (stat is null)
            return null;
        foreach (string line in stat.Split('\n'))
        {
            if (line.StartsWith("usage_usec ", StringComparison.Ordinal))
                return TimeSpan.FromMicroseconds(long.Parse(line.AsSpan("usage_usec ".Length)));
        }
        return null;
    }

    private static string? FindMount()
    {
        string? mounts = CpuSample.TryReadText("/proc/mounts");
        if (mounts is null)
            return null;
        foreach (string line in mounts.Split('\n'))
        {
            string[] fields = line.Split(' ');
            if (fields.Length > 2 && fields[2] == "cgroup2" && Directory.Exists(fields[1]))
                return fields[1];
        }
        return null;
    }
}
