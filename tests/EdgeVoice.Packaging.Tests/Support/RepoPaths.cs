namespace EdgeVoice.Packaging.Tests.Support;

/// <summary>Paths inside the repository checkout the tests run from.</summary>
internal static class RepoPaths
{
    /// <summary>The folder holding EdgeVoice.sln, found by walking up from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    public static string BuildScript => Path.Combine(Root, "packaging", "build-debs.sh");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeVoice.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"EdgeVoice.sln not found above {AppContext.BaseDirectory}: run the tests from a checkout of the repository.");
    }
}
