using EdgeVoice.Packaging.Tests.Support;

namespace EdgeVoice.Packaging.Tests;

/// <summary>Both .debs, built once per test run by packaging/build-debs.sh into a temporary folder.</summary>
public sealed class DebianPackages : IAsyncLifetime
{
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("edgevoice-debs-");

    public const string Relay = "edgevoice-relay";
    public const string Transceiver = "edgevoice-transceiver";

    public string RelayDeb { get; private set; } = "";
    public string TransceiverDeb { get; private set; } = "";
    internal CommandResult Build { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // .ci/run (CI=true) has just published both into artifacts/ with this script: pack those, so no publish (and its
        // restore of the transceiver's obj/) runs while other test projects build. Elsewhere the script publishes them.
        bool published = Environment.GetEnvironmentVariable("CI") == "true"
                         && File.Exists(Path.Combine(RepoPaths.Root, "artifacts", "transceiver", "edgevoice-transceiver"));
        string[] arguments = published ? [RepoPaths.BuildScript, "--no-publish", _output.FullName] : [RepoPaths.BuildScript, _output.FullName];
        Build = await HostCommand.RunAsync("bash", arguments, TimeSpan.FromMinutes(8));
        if (Build.ExitCode != 0)
            throw new InvalidOperationException($"packaging/build-debs.sh failed:\n{Build}");
        RelayDeb = Find(Relay);
        TransceiverDeb = Find(Transceiver);
    }

    public Task DisposeAsync()
    {
        _output.Delete(recursive: true);
        return Task.CompletedTask;
    }

    private string Find(string package) =>
        _output.GetFiles($"{package}_*_amd64.deb") is [var deb] ? deb.FullName
            : throw new InvalidOperationException($"build-debs.sh did not leave exactly one {package}_*_amd64.deb in {_output.FullName}:\n{Build}");
}

[CollectionDefinition(Name)]
public sealed class PackagesCollection : ICollectionFixture<DebianPackages>
{
    public const string Name = "Debian packages";
}
