namespace EdgeVoice.Packaging.Tests.Support;

/// <summary>A fact that installs packages: skipped, saying why, unless the test process runs as root.</summary>
internal sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!IsRoot)
            Skip = "needs root: it installs the .debs with dpkg -i, runs them as the edgevoice user and purges them (CI runs as root)";
    }

    /// <summary>The effective uid from /proc/self/status ("Uid: real effective saved fs").</summary>
    public static bool IsRoot =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is { } line
        && line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries) is [_, _, "0", ..];
}
