using System.Text.RegularExpressions;
using EdgeVoice.Packaging.Tests.Support;
using Xunit.Abstractions;

namespace EdgeVoice.Packaging.Tests;

/// <summary>What dpkg-deb reads from the built packages: fields, files, conffiles, maintainer scripts, dependencies.</summary>
[Collection(PackagesCollection.Name)]
public sealed class PackageContentsTests(DebianPackages packages, ITestOutputHelper output)
{
    [Fact]
    public async Task Control_fields_name_the_package_version_and_runtime_libraries()
    {
        foreach (var (deb, package) in new[] { (packages.RelayDeb, DebianPackages.Relay), (packages.TransceiverDeb, DebianPackages.Transceiver) })
        {
            Assert.Equal(package, await Field(deb, "Package"));
            Assert.Equal("amd64", await Field(deb, "Architecture"));
            Assert.Matches(new Regex(@"^[0-9][A-Za-z0-9.+~]*$"), await Field(deb, "Version"));
            Assert.Matches(new Regex(@"^[1-9][0-9]*$"), await Field(deb, "Installed-Size"));
        }
        Assert.Equal(await Field(packages.RelayDeb, "Version"), await Field(packages.TransceiverDeb, "Version"));

        var relay = Depends(await Field(packages.RelayDeb, "Depends"));
        // libc for the AOT binary, libssl3 for libcrypto.so.3 (SRTP), the QUIC tunnel's libraries, adduser for postinst.
        Assert.Equal(["adduser", "libc6", "libgnutls30", "libngtcp2-9", "libngtcp2-crypto-gnutls2", "libssl3"], relay.Order());
        var transceiver = Depends(await Field(packages.TransceiverDeb, "Depends"));
        foreach (string library in new[] { "libopus0", "libespeak-ng1", "libpocketsphinx3", "libsphinxbase3", "pocketsphinx-en-us",
                     "libngtcp2-9", "libngtcp2-crypto-gnutls2", "libgnutls30", "libicu72", "libssl3", "libstdc++6", "libgomp1", "adduser" })
            Assert.Contains(library, transceiver);
    }

    [Fact]
    public async Task Relay_package_ships_the_binary_unit_config_and_maintainer_scripts()
    {
        var files = await Contents(packages.RelayDeb);
        Assert.Equal("-rwxr-xr-x root/root", files["./usr/lib/edgevoice-relay/edgevoice-relay"]);
        Assert.Equal("-rw-r--r-- root/root", files["./lib/systemd/system/edgevoice-relay.service"]);
        Assert.Equal("-rw-r--r-- root/root", files["./etc/edgevoice/relay.yaml"]);
        Assert.True(files.ContainsKey("./usr/bin/edgevoice-relay"), "no /usr/bin link");
        Assert.True(files.ContainsKey("./usr/share/doc/edgevoice-relay/copyright"));
        Assert.DoesNotContain(files.Keys, f => f.EndsWith(".dbg", StringComparison.Ordinal) || f.EndsWith(".pdb", StringComparison.Ordinal));
        Assert.Equal(["/etc/edgevoice/relay.yaml"], await Conffiles(packages.RelayDeb));
        await AssertMaintainerScripts(packages.RelayDeb);
    }

    [Fact]
    public async Task Transceiver_package_ships_a_self_contained_linux_x64_publish_unit_and_configs()
    {
        var files = await Contents(packages.TransceiverDeb);
        Assert.Equal("-rwxr-xr-x root/root", files["./usr/lib/edgevoice-transceiver/edgevoice-transceiver"]);
        // Self-contained: the runtime travels with it, so the node needs no .NET install.
        Assert.True(files.ContainsKey("./usr/lib/edgevoice-transceiver/libcoreclr.so"), "not self-contained: libcoreclr.so missing");
        Assert.True(files.ContainsKey("./usr/lib/edgevoice-transceiver/libonnxruntime.so"));
        Assert.True(files.ContainsKey("./usr/lib/edgevoice-transceiver/runtimes/linux-x64/libwhisper.so"));
        Assert.DoesNotContain(files.Keys, f => f.Contains("/runtimes/win-", StringComparison.Ordinal) || f.Contains("/runtimes/macos-", StringComparison.Ordinal));
        Assert.Equal("-rw-r--r-- root/root", files["./lib/systemd/system/edgevoice-transceiver.service"]);
        Assert.Equal(["/etc/edgevoice/transceiver-demo.gram", "/etc/edgevoice/transceiver.yaml"], (await Conffiles(packages.TransceiverDeb)).Order());
        await AssertMaintainerScripts(packages.TransceiverDeb);
    }

    /// <summary>Every shared library an ELF file in a package links against, and every library its code opens by name
    /// (LibraryImport, DllImport resolvers: invisible to objdump), is in the package or in one of its Depends.</summary>
    [Theory]
    [InlineData(DebianPackages.Relay, new[] { "libcrypto.so.3" })]
    [InlineData(DebianPackages.Transceiver, new[] { "libopus.so.0", "libespeak-ng.so.1", "libpocketsphinx.so.3", "libsphinxbase.so.3", "libssl.so.3", "libicuuc.so.72" })]
    public async Task Native_libraries_resolve_to_the_package_or_its_dependencies(string package, string[] openedByName)
    {
        string deb = package == DebianPackages.Relay ? packages.RelayDeb : packages.TransceiverDeb;
        var extracted = Directory.CreateTempSubdirectory("edgevoice-deb-x-");
        try
        {
            await HostCommand.RunCheckedAsync("dpkg-deb", "-x", deb, extracted.FullName);
            string lib = Path.Combine(extracted.FullName, "usr", "lib", package);
            var shipped = new HashSet<string>(StringComparer.Ordinal);
            var needed = new SortedSet<string>(StringComparer.Ordinal);
            foreach (string elf in Directory.GetFiles(lib, "*.so*", SearchOption.AllDirectories).Append(Path.Combine(lib, package)))
            {
                var dump = await HostCommand.RunCheckedAsync("objdump", "-p", elf);
                // A library the package ships satisfies its file name and its SONAME (libggml-whisper.so is libggml-whisper.so.0).
                shipped.Add(Path.GetFileName(elf));
                foreach (Match match in Regex.Matches(dump.Stdout, @"SONAME\s+(\S+)"))
                    shipped.Add(match.Groups[1].Value);
                // The CUDA provider is loaded only when a config asks for CUDA; its libraries come with the CUDA install.
                if (Path.GetFileName(elf) == "libonnxruntime_providers_cuda.so")
                    continue;
                foreach (Match match in Regex.Matches(dump.Stdout, @"NEEDED\s+(\S+)"))
                    needed.Add(match.Groups[1].Value);
            }
            needed.ExceptWith(shipped);
            needed.UnionWith(openedByName);
            output.WriteLine($"{package} needs: {string.Join(' ', needed)}");

            var depends = Depends(await Field(deb, "Depends"));
            var missing = new List<string>();
            foreach (string library in needed)
            {
                var owner = await HostCommand.RunAsync("dpkg-query", "-S", "*/" + library);
                // "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6" (first match; a library may also sit in a multilib package).
                string? provider = owner.ExitCode == 0 ? owner.Stdout.Split('\n')[0].Split(':', ',')[0].Trim() : null;
                if (provider is null || !depends.Contains(provider))
                    missing.Add($"{library} (from {provider ?? "no installed package"})");
            }
            Assert.True(missing.Count == 0, "not covered by Depends: " + string.Join(", ", missing));
        }
        finally
        {
            extracted.Delete(recursive: true);
        }
    }

    private static async Task AssertMaintainerScripts(string deb)
    {
        var control = Directory.CreateTempSubdirectory("edgevoice-deb-c-");
        try
        {
            await HostCommand.RunCheckedAsync("dpkg-deb", "--control", deb, control.FullName);
            foreach (string script in new[] { "postinst", "prerm", "postrm" })
            {
                string path = Path.Combine(control.FullName, script);
                Assert.True(File.Exists(path), $"{script} missing from {deb}");
                Assert.True(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), $"{script} is not executable");
                // sh -n: the script parses (dash is /bin/sh on Debian).
                var syntax = await HostCommand.RunAsync("sh", "-n", path);
                Assert.True(syntax.ExitCode == 0, syntax.ToString());
            }
            string postinst = await File.ReadAllTextAsync(Path.Combine(control.FullName, "postinst"));
            Assert.Contains("adduser --quiet --system $group", postinst);
            Assert.Contains("[ -d /run/systemd/system ]", postinst);
        }
        finally
        {
            control.Delete(recursive: true);
        }
    }

    private static async Task<string> Field(string deb, string field) =>
        (await HostCommand.RunCheckedAsync("dpkg-deb", "--field", deb, field)).Stdout.Trim();

    /// <summary>Package names of a Depends field, without version constraints.</summary>
    private static HashSet<string> Depends(string field) =>
        field.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', '(')[0]).ToHashSet(StringComparer.Ordinal);

    private static async Task<string[]> Conffiles(string deb) =>
        (await HostCommand.RunCheckedAsync("dpkg-deb", "--info", deb, "conffiles")).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Path → "mode owner/group" from dpkg-deb --contents.</summary>
    private static async Task<Dictionary<string, string>> Contents(string deb)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in (await HostCommand.RunCheckedAsync("dpkg-deb", "--contents", deb)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // -rwxr-xr-x root/root 16400168 2026-11-25 19:04 ./usr/... [-> target]
            files[parts[5]] = parts[0] + " " + parts[1];
        }
        return files;
    }
}
