using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using EdgeVoice.Packaging.Tests.Support;
using Xunit.Abstractions;

namespace EdgeVoice.Packaging.Tests;

/// <summary>
/// The packages on this machine: dpkg -i, systemd-analyze on the installed units, each binary started the way its unit
/// starts it (ExecStart, User, Environment, EnvironmentFile), then dpkg --purge and nothing left behind.
/// </summary>
[Collection(PackagesCollection.Name)]
public sealed class InstalledPackagesTests(DebianPackages packages, ITestOutputHelper output)
{
    private const string RelayUnit = "/lib/systemd/system/edgevoice-relay.service";
    private const string TransceiverUnit = "/lib/systemd/system/edgevoice-transceiver.service";
    private const string User = "edgevoice";

    [RootFact]
    public async Task Packages_install_run_as_their_units_and_purge_without_leftovers()
    {
        // Packages left by an aborted earlier run go first; anything else named edgevoice stops the test (see below).
        await HostCommand.DpkgAsync("--purge", DebianPackages.Transceiver, DebianPackages.Relay);
        await AssertNothingInstalledAsync();
        try
        {
            var install = await HostCommand.DpkgAsync("-i", packages.RelayDeb, packages.TransceiverDeb);
            Assert.True(install.ExitCode == 0, install.ToString());
            output.WriteLine(install.ToString());

            await AssertInstalledLayoutAsync();
            await AssertUnitsVerifyAsync();
            await AssertScriptsDriveSystemdWhenItRunsAsync();
            await RunRelayAsItsUnitDoesAsync();
            await RunTransceiverAsItsUnitDoesAsync();
            await AssertReinstallKeepsEditsAndSecretsAsync();

            // Remove (not purge) keeps configuration, models and the user, as Debian expects.
            File.WriteAllText("/var/lib/edgevoice/models/kept.bin", "model");
            var remove = await HostCommand.DpkgAsync("--remove", DebianPackages.Transceiver);
            Assert.True(remove.ExitCode == 0, remove.ToString());
            Assert.False(File.Exists("/usr/lib/edgevoice-transceiver/edgevoice-transceiver"), "remove left the binary");
            Assert.False(File.Exists(TransceiverUnit), "remove left the unit");
            Assert.True(File.Exists("/etc/edgevoice/transceiver.yaml"), "remove deleted a conffile");
            Assert.True(File.Exists("/var/lib/edgevoice/models/kept.bin"), "remove deleted the models");

            // The user is shared: purging one package keeps it for the other.
            var purgeTransceiver = await HostCommand.DpkgAsync("--purge", DebianPackages.Transceiver);
            Assert.True(purgeTransceiver.ExitCode == 0, purgeTransceiver.ToString());
            Assert.False(Directory.Exists("/var/lib/edgevoice"), "/var/lib/edgevoice survived the purge of edgevoice-transceiver");
            Assert.False(File.Exists("/etc/edgevoice/transceiver.yaml"));
            Assert.False(Directory.Exists("/usr/lib/edgevoice-transceiver"));
            Assert.True(File.Exists("/etc/edgevoice/relay.yaml"), "purging the transceiver removed the relay's config");
            Assert.True(Directory.Exists("/etc/edgevoice/tunnel"), "purging the transceiver removed the tunnel folder the relay uses");
            Assert.True(await UserExistsAsync(), "the edgevoice user went while edgevoice-relay is still installed");

            var purgeRelay = await HostCommand.DpkgAsync("--purge", DebianPackages.Relay);
            Assert.True(purgeRelay.ExitCode == 0, purgeRelay.ToString());
            output.WriteLine(purgeTransceiver.ToString());
            output.WriteLine(purgeRelay.ToString());
            await AssertNothingInstalledAsync();
        }
        finally
        {
            // Self-cleaning whatever failed above; a purge of a package that is not installed only warns.
            var cleanup = await HostCommand.DpkgAsync("--purge", DebianPackages.Transceiver, DebianPackages.Relay);
            output.WriteLine(cleanup.ToString());
        }
    }

    private async Task AssertInstalledLayoutAsync()
    {
        foreach (string package in new[] { DebianPackages.Relay, DebianPackages.Transceiver })
            Assert.Equal("install ok installed", (await HostCommand.RunCheckedAsync("dpkg-query", "-W", "-f=${Status}", package)).Stdout);
        foreach (string file in new[] { "/usr/lib/edgevoice-relay/edgevoice-relay", "/usr/lib/edgevoice-transceiver/edgevoice-transceiver",
                     RelayUnit, TransceiverUnit, "/etc/edgevoice/relay.yaml", "/etc/edgevoice/transceiver.yaml", "/etc/edgevoice/transceiver-demo.gram" })
            Assert.True(File.Exists(file), $"{file} not installed");

        var passwd = (await HostCommand.RunCheckedAsync("getent", "passwd", User)).Stdout.Trim().Split(':');
        Assert.True(int.Parse(passwd[2]) < 1000, $"edgevoice is not a system user: {string.Join(':', passwd)}");
        Assert.Equal("/var/lib/edgevoice", passwd[5]);
        Assert.EndsWith("nologin", passwd[6]);
        var state = (await HostCommand.RunCheckedAsync("stat", "-c", "%U:%G %a", "/var/lib/edgevoice", "/var/lib/edgevoice/models")).Stdout;
        Assert.Equal("edgevoice:edgevoice 750\nedgevoice:edgevoice 750\n", state);
        Assert.Equal("root:edgevoice 750\n", (await HostCommand.RunCheckedAsync("stat", "-c", "%U:%G %a", "/etc/edgevoice/tunnel")).Stdout);

        // Secrets generated at install, readable by root only: systemd reads the file and hands them to the relay.
        Assert.Equal("root:root 600\n", (await HostCommand.RunCheckedAsync("stat", "-c", "%U:%G %a", "/etc/edgevoice/relay.env")).Stdout);
        string secrets = await File.ReadAllTextAsync("/etc/edgevoice/relay.env");
        Assert.Matches(@"(?m)^EDGEVOICE_AUTH__API_KEYS__0__KEY=ev-[0-9a-f]{48}$", secrets);
        Assert.Matches(@"(?m)^EDGEVOICE_AUTH__TOKEN_SECRET=[A-Za-z0-9+/]{43}=$", secrets);
    }

    /// <summary>
    /// The maintainer scripts' systemd branch (taken when /run/systemd/system exists), run in a private mount namespace
    /// where a tmpfs /run has that folder and a recording systemctl comes first on PATH; the real /run is untouched.
    /// </summary>
    private async Task AssertScriptsDriveSystemdWhenItRunsAsync()
    {
        var temp = Directory.CreateTempSubdirectory("edgevoice-systemctl-");
        bool systemdBefore = Directory.Exists("/run/systemd/system");
        try
        {
            string calls = Path.Combine(temp.FullName, "calls");
            string systemctl = Path.Combine(temp.FullName, "systemctl");
            // Records its arguments; fails the action named in FAIL_ACTION, as a unit that cannot start would.
            await File.WriteAllTextAsync(systemctl, $"#!/bin/sh\necho \"$*\" >>{calls}\n[ \"$1\" != \"$FAIL_ACTION\" ]\n");
            File.SetUnixFileMode(systemctl, (UnixFileMode)0b111_101_101);

            async Task<(CommandResult Result, string[] Calls)> Run(string package, string script, string arguments, string failAction = "")
            {
                File.Delete(calls);
                string command = "mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system && " +
                                 $"PATH={temp.FullName}:$PATH FAIL_ACTION={failAction} sh /var/lib/dpkg/info/{package}.{script} {arguments}";
                var result = await HostCommand.RunAsync("unshare", ["--mount", "sh", "-c", command], TimeSpan.FromSeconds(30));
                output.WriteLine(result.ToString());
                return (result, File.Exists(calls) ? await File.ReadAllLinesAsync(calls) : []);
            }

            const string relay = "edgevoice-relay.service", transceiver = "edgevoice-transceiver.service";
            var fresh = await Run(DebianPackages.Relay, "postinst", "configure");
            Assert.Equal(0, fresh.Result.ExitCode);
            Assert.Equal(["daemon-reload", $"enable {relay}", $"start {relay}"], fresh.Calls);
            var upgrade = await Run(DebianPackages.Relay, "postinst", "configure 0.0.1");
            Assert.Equal(["daemon-reload", $"enable {relay}", $"try-restart {relay}"], upgrade.Calls);
            // A relay that cannot start does not fail the installation, and says where to look.
            var failed = await Run(DebianPackages.Relay, "postinst", "configure", failAction: "start");
            Assert.Equal(0, failed.Result.ExitCode);
            Assert.Contains("journalctl -u edgevoice-relay", failed.Result.Stderr);
            Assert.Equal([$"stop {relay}"], (await Run(DebianPackages.Relay, "prerm", "upgrade 0.0.2")).Calls);
            Assert.Equal([$"disable --now {relay}"], (await Run(DebianPackages.Relay, "prerm", "remove")).Calls);
            Assert.Equal(["daemon-reload"], (await Run(DebianPackages.Relay, "postrm", "remove")).Calls);
            // The transceiver is enabled, not started: its configuration needs editing first.
            Assert.Equal(["daemon-reload", $"enable {transceiver}"], (await Run(DebianPackages.Transceiver, "postinst", "configure")).Calls);
            Assert.Equal([$"disable --now {transceiver}"], (await Run(DebianPackages.Transceiver, "prerm", "remove")).Calls);
            Assert.True(Directory.Exists("/run/systemd/system") == systemdBefore, "the test's /run/systemd/system leaked out of its mount namespace");
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>dpkg -i over the installed relay (an upgrade to the same version): the admin's edit of the conffile stays,
    /// the generated secrets stay, the user keeps its uid.</summary>
    private async Task AssertReinstallKeepsEditsAndSecretsAsync()
    {
        string secrets = await File.ReadAllTextAsync("/etc/edgevoice/relay.env");
        string uid = await UidAsync();
        await File.AppendAllTextAsync("/etc/edgevoice/relay.yaml", "# edited by the test\n");
        var reinstall = await HostCommand.DpkgAsync("-i", "--force-confold", packages.RelayDeb);
        Assert.True(reinstall.ExitCode == 0, reinstall.ToString());
        Assert.EndsWith("# edited by the test\n", await File.ReadAllTextAsync("/etc/edgevoice/relay.yaml"));
        Assert.Equal(secrets, await File.ReadAllTextAsync("/etc/edgevoice/relay.env"));
        Assert.Equal(uid, await UidAsync());
    }

    /// <summary>systemd-analyze needs no running systemd for these: verify loads each unit (exit code: a missing binary or user;
    /// output: any unknown or unparsable setting), security --offline scores the sandboxing.</summary>
    private async Task AssertUnitsVerifyAsync()
    {
        foreach (string unit in new[] { RelayUnit, TransceiverUnit })
        {
            var verify = await HostCommand.RunAsync("systemd-analyze", "verify", unit);
            output.WriteLine(verify.ToString());
            Assert.True(verify.ExitCode == 0 && verify.Output.Trim().Length == 0, verify.ToString());

            // Exposure 10 = unprotected, 0 = fully sandboxed; --threshold (tenths of it) makes the command fail above 4.0.
            var security = await HostCommand.RunAsync("systemd-analyze", "security", "--offline=yes", "--threshold=40", "--no-pager", unit);
            output.WriteLine(security.ToString());
            Assert.True(security.ExitCode == 0, security.ToString());
            Assert.Contains("Overall exposure level", security.Output);
        }
        var relay = UnitFile.Load(RelayUnit);
        Assert.Equal("notify", relay.Single("Type"));
        Assert.Equal(User, relay.Single("User"));
        Assert.Equal("strict", relay.Single("ProtectSystem"));
        Assert.Equal("yes", relay.Single("NoNewPrivileges"));
        Assert.Equal("yes", relay.Single("MemoryDenyWriteExecute"));
        Assert.Equal("CAP_NET_BIND_SERVICE", relay.Single("CapabilityBoundingSet"));
        var transceiver = UnitFile.Load(TransceiverUnit);
        Assert.Equal("notify", transceiver.Single("Type"));
        Assert.Equal(User, transceiver.Single("User"));
        Assert.Equal("strict", transceiver.Single("ProtectSystem"));
        Assert.Equal("/var/lib/edgevoice", transceiver.Single("ReadWritePaths"));
        Assert.Equal("", transceiver.Single("CapabilityBoundingSet"));
    }

    /// <summary>The relay as edgevoice-relay.service runs it, under a parent named "systemd" with NOTIFY_SOCKET (Type=notify):
    /// READY=1, /healthz, a client token minted with the API key generated at install, STOPPING=1 and exit 0 on SIGTERM.</summary>
    private async Task RunRelayAsItsUnitDoesAsync()
    {
        var unit = UnitFile.Load(RelayUnit);
        var temp = Directory.CreateTempSubdirectory("edgevoice-relay-run-");
        try
        {
            // The service user must reach the notify socket.
            File.SetUnixFileMode(temp.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            string socketPath = Path.Combine(temp.FullName, "notify.sock");
            using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            notify.Bind(new UnixDomainSocketEndPoint(socketPath));
            File.SetUnixFileMode(socketPath, (UnixFileMode)0b111_111_111);

            int httpPort = FreePort.Tcp();
            int udpPort = FreePort.Udp();
            var environment = await ServiceEnvironmentAsync(unit);
            environment["NOTIFY_SOCKET"] = socketPath;
            // Free loopback ports instead of the packaged 8080/3478, through the relay's EDGEVOICE_ overrides.
            environment["EDGEVOICE_HTTP__LISTEN_URLS__0"] = $"http://127.0.0.1:{httpPort}";
            environment["EDGEVOICE_MEDIA__UDP_PORT"] = udpPort.ToString();
            environment["EDGEVOICE_MEDIA__PUBLIC_PORT"] = udpPort.ToString();

            // Microsoft.Extensions.Hosting.Systemd turns systemd mode on when the parent process is named "systemd": a shell
            // started through a link of that name starts setpriv, which becomes the relay as edgevoice.
            string supervisor = Path.Combine(temp.FullName, "systemd");
            File.CreateSymbolicLink(supervisor, "/bin/bash");
            // strace around the supervisor records the syscalls the unit's sandbox refuses (see AssertSandboxCompatible).
            string trace = Path.Combine(temp.FullName, "strace.txt");
            bool tracing = await CanTraceAsync();
            var start = new ProcessStartInfo(tracing ? "strace" : supervisor)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = "/",
            };
            start.Environment.Clear();
            foreach (var (key, value) in environment)
                start.Environment[key] = value;
            if (tracing)
            {
                foreach (string argument in (string[])["-f", "-qq", "-o", trace, "-e", $"trace={SandboxedSyscalls}", supervisor])
                    start.ArgumentList.Add(argument);
            }
            foreach (string argument in (string[])["-c", "\"$@\" & echo \"pid:$!\" >&2; wait $!", "supervisor"])
                start.ArgumentList.Add(argument);
            foreach (string argument in AsServiceUser(unit, unit.ExecStart))
                start.ArgumentList.Add(argument);
            output.WriteLine("relay: " + string.Join(' ', start.ArgumentList.SkipWhile(a => a != "supervisor").Skip(1)));

            // Everything the relay prints, as it prints it: a failed start then shows how far the relay got.
            var printed = new StringBuilder();
            var pidLine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            void Print(string? line)
            {
                if (line is null)
                    return;
                if (line.StartsWith("pid:", StringComparison.Ordinal) && pidLine.TrySetResult(line))
                    return;
                lock (printed)
                    printed.AppendLine(line);
            }
            string Printed()
            {
                lock (printed)
                    return printed.ToString();
            }
            using var shell = new Process { StartInfo = start };
            shell.OutputDataReceived += (_, e) => Print(e.Data);
            shell.ErrorDataReceived += (_, e) => Print(e.Data);
            var started = Stopwatch.StartNew();
            shell.Start();
            shell.BeginOutputReadLine();
            shell.BeginErrorReadLine();
            int pid = int.Parse((await pidLine.Task.WaitAsync(TimeSpan.FromSeconds(30)))["pid:".Length..]);
            try
            {
                string ready = await ReceiveAsync(notify, ReadyTimeout,
                    () => shell.HasExited ? $"the relay exited: {Printed()}" : null,
                    () => $"the relay, running for {started.Elapsed.TotalSeconds:0.0} s ({ProcessState(pid)}), printed:\n{Printed()}");
                output.WriteLine($"READY after {started.Elapsed.TotalSeconds:0.0} s");
                Assert.Contains("READY=1", ready);
                Assert.Equal(await UidAsync(), ProcessUids(pid));

                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
                Assert.Equal("ok", await http.GetStringAsync("/healthz"));
                string apiKey = environment["EDGEVOICE_AUTH__API_KEYS__0__KEY"];
                Assert.Equal(HttpStatusCode.Created, (await MintTokenAsync(http, apiKey)).StatusCode);
                var minted = await MintTokenAsync(http, apiKey);
                Assert.Contains("\"token\"", await minted.Content.ReadAsStringAsync());
                Assert.Equal(HttpStatusCode.Unauthorized, (await MintTokenAsync(http, "ev-not-the-generated-key-000000")).StatusCode);

                // bash's kill: /usr/bin/kill (procps) is not essential.
                var kill = await HostCommand.RunAsync("bash", "-c", $"kill -TERM {pid}");
                Assert.True(kill.ExitCode == 0, kill.ToString());
                Assert.Contains("STOPPING=1", await ReceiveAsync(notify, TimeSpan.FromSeconds(15), () => null, Printed));
                // TimeoutStopSec=15: systemd would SIGKILL after that.
                Assert.True(shell.WaitForExit(TimeSpan.FromSeconds(15)), "the relay did not exit within TimeoutStopSec after SIGTERM");
                Assert.Equal(0, shell.ExitCode);
                shell.WaitForExit();  // the end of its output
                output.WriteLine(Printed());
                if (tracing)
                    AssertSandboxCompatible(await File.ReadAllLinesAsync(trace));
                else
                    output.WriteLine("strace cannot trace here: the MemoryDenyWriteExecute/ProtectSystem syscall check did not run");
            }
            finally
            {
                if (!shell.HasExited)
                {
                    await HostCommand.RunAsync("bash", "-c", $"kill -KILL {pid}");
                    shell.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>How long the relay may take from exec to READY=1 (about 0.5 s alone, 1.3 s under strace on a loaded 2-core machine).</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The kernel's view of a process (state, threads, CPU ticks), for a failure message.</summary>
    private static string ProcessState(int pid)
    {
        try
        {
            var status = File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("State:", StringComparison.Ordinal) || l.StartsWith("Threads:", StringComparison.Ordinal));
            string[] stat = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ');
            return $"{string.Join(", ", status.Select(l => Regex.Replace(l, @"\s+", " ")))}, utime {stat[11]} stime {stat[12]} ticks";
        }
        catch (IOException e)
        {
            return $"pid {pid}: {e.Message}";
        }
    }

    private const string SandboxedSyscalls = "mmap,mprotect,pkey_mprotect,shmat,open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat";

    /// <summary>
    /// Without a running systemd the sandbox itself cannot be applied, so the relay's syscalls from start to exit (serving
    /// /healthz and tokens) are checked against what its unit forbids: MemoryDenyWriteExecute=yes refuses writable+executable
    /// mappings and mprotect to executable; ProtectSystem=strict without ReadWritePaths refuses every write to the file system.
    /// </summary>
    private void AssertSandboxCompatible(string[] trace)
    {
        Assert.Contains(trace, line => line.Contains("mmap(", StringComparison.Ordinal));
        var refused = trace.Where(line =>
            (line.Contains("mmap(", StringComparison.Ordinal) && line.Contains("PROT_WRITE", StringComparison.Ordinal) && line.Contains("PROT_EXEC", StringComparison.Ordinal))
            || (line.Contains("mprotect(", StringComparison.Ordinal) && line.Contains("PROT_EXEC", StringComparison.Ordinal))
            || line.Contains("SHM_EXEC", StringComparison.Ordinal)
            || (WritesFiles(line) && !ApiFileSystem.Any(api => line.Contains('"' + api, StringComparison.Ordinal)))).ToList();
        output.WriteLine($"strace: {trace.Length} traced calls, {refused.Count} the sandbox would refuse");
        Assert.True(refused.Count == 0, "calls the unit's sandbox refuses:\n" + string.Join('\n', refused.Take(20)));
    }

    /// <summary>ProtectSystem=strict leaves these writable (PrivateDevices gives the service its own /dev).</summary>
    private static readonly string[] ApiFileSystem = ["/dev/", "/proc/", "/sys/"];

    private static bool WritesFiles(string line) =>
        line.Contains("O_WRONLY", StringComparison.Ordinal) || line.Contains("O_RDWR", StringComparison.Ordinal) || line.Contains("O_CREAT", StringComparison.Ordinal)
        || line.Contains(" creat(", StringComparison.Ordinal) || line.Contains("mkdir", StringComparison.Ordinal)
        || line.Contains("rename", StringComparison.Ordinal) || line.Contains("unlink", StringComparison.Ordinal);

    private static async Task<bool> CanTraceAsync()
    {
        try
        {
            return (await HostCommand.RunAsync("strace", "-qq", "-o", "/dev/null", "true")).ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;  // strace is not installed
        }
    }

    /// <summary>The transceiver binary and config of edgevoice-transceiver.service, as its user with its environment.
    /// Its ExecStart runs `serve`; this runs `check` on the same config, then one offline call with `simulate`,
    /// which loads the Debian libraries the package depends on (libopus0, pocketsphinx, espeak-ng).</summary>
    private async Task RunTransceiverAsItsUnitDoesAsync()
    {
        var unit = UnitFile.Load(TransceiverUnit);
        string[] execStart = unit.ExecStart;
        Assert.Equal(["/usr/lib/edgevoice-transceiver/edgevoice-transceiver", "serve", "--config", "/etc/edgevoice/transceiver.yaml"], execStart);
        var environment = await ServiceEnvironmentAsync(unit);
        string workingDirectory = unit.Single("WorkingDirectory")!;
        Assert.Equal("/var/lib/edgevoice", workingDirectory);

        var check = await RunAsServiceUserAsync(unit, [execStart[0], "check", .. execStart[2..]], environment, workingDirectory);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("/etc/edgevoice/transceiver.yaml: ok", check.Stdout);

        var temp = Directory.CreateTempSubdirectory("edgevoice-transceiver-run-");
        try
        {
            File.SetUnixFileMode(temp.FullName, (UnixFileMode)0b111_111_111);
            string question = Path.Combine(temp.FullName, "question.wav");
            string answer = Path.Combine(temp.FullName, "answer.wav");
            await HostCommand.RunCheckedAsync("espeak-ng", "-v", "en-us+m3", "-s", "140", "-w", question, "turn on the lights");
            var simulate = await RunAsServiceUserAsync(unit,
                [execStart[0], "simulate", "--in", question, "--out", answer, .. execStart[2..]], environment, workingDirectory);
            output.WriteLine(simulate.ToString());
            Assert.True(simulate.ExitCode == 0, simulate.ToString());
            Assert.Contains("transcript: turn on the lights", simulate.Stdout);
            // Native libopus through libopus.so.0 (the package's libopus0 dependency), not the managed fallback.
            Assert.Contains("opus decoder: Native", simulate.Output);
            Assert.Equal("edgevoice\n", (await HostCommand.RunCheckedAsync("stat", "-c", "%U", answer)).Stdout);
            Assert.True(new FileInfo(answer).Length > 44, "no audio written");
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    private static Task<CommandResult> RunAsServiceUserAsync(UnitFile unit, string[] command, Dictionary<string, string> environment, string workingDirectory) =>
        HostCommand.RunAsync("setpriv", AsServiceUser(unit, command).Skip(1), TimeSpan.FromSeconds(90), environment, workingDirectory, clearEnvironment: true);

    /// <summary>setpriv as the unit's User=/Group= with its supplementary groups and NoNewPrivileges, then the command.</summary>
    private static string[] AsServiceUser(UnitFile unit, string[] command) =>
        ["setpriv", "--reuid", unit.Single("User")!, "--regid", unit.Single("Group")!, "--init-groups", "--no-new-privs", "--", .. command];

    /// <summary>What systemd puts in a service's environment: its defaults, USER/HOME/SHELL of User=, then the unit's own.</summary>
    private static async Task<Dictionary<string, string>> ServiceEnvironmentAsync(UnitFile unit)
    {
        var passwd = (await HostCommand.RunCheckedAsync("getent", "passwd", unit.Single("User")!)).Stdout.Trim().Split(':');
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["LANG"] = "C.UTF-8",
            ["USER"] = passwd[0],
            ["LOGNAME"] = passwd[0],
            ["HOME"] = passwd[5],
            ["SHELL"] = passwd[6],
        };
        foreach (var (key, value) in unit.ServiceEnvironment())
            environment[key] = value;
        return environment;
    }

    private static Task<HttpResponseMessage> MintTokenAsync(HttpClient http, string apiKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tokens");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http.SendAsync(request);
    }

    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan timeout, Func<string?> failure, Func<string> describe)
    {
        var buffer = new byte[4096];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(250));
            try
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                return Encoding.UTF8.GetString(buffer, 0, read);
            }
            catch (OperationCanceledException)
            {
                if (failure() is { } reason)
                    Assert.Fail(reason);
            }
        }
        throw new TimeoutException($"no sd_notify message within {timeout.TotalSeconds:0} s; {describe()}");
    }

    private static async Task<string> UidAsync() => (await HostCommand.RunCheckedAsync("id", "-u", User)).Stdout.Trim();

    /// <summary>The real, effective, saved and file-system uids of a process, when all four are one: otherwise all of them.</summary>
    private static string ProcessUids(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        var uids = line["Uid:".Length..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries).Distinct().ToArray();
        return string.Join(',', uids);
    }

    private static async Task<bool> UserExistsAsync() => (await HostCommand.RunAsync("getent", "passwd", User)).ExitCode == 0;

    /// <summary>Neither package, nor anything their maintainer scripts make. Before the test this also refuses to run over a
    /// machine where an edgevoice user exists without the packages: their purge would delete it.</summary>
    private static async Task AssertNothingInstalledAsync()
    {
        foreach (string package in new[] { DebianPackages.Relay, DebianPackages.Transceiver })
        {
            var status = await HostCommand.RunAsync("dpkg-query", "-W", "-f=${Status}", package);
            Assert.True(status.ExitCode != 0 || status.Stdout.EndsWith("not-installed", StringComparison.Ordinal), $"{package} is installed: {status}");
        }
        Assert.False(await UserExistsAsync(), "an edgevoice user exists without the packages (or survived their purge)");
        Assert.False((await HostCommand.RunAsync("getent", "group", User)).ExitCode == 0, "an edgevoice group exists");
        foreach (string path in new[] { "/etc/edgevoice", "/var/lib/edgevoice", "/usr/lib/edgevoice-relay", "/usr/lib/edgevoice-transceiver" })
            Assert.False(Directory.Exists(path), $"{path} exists");
        foreach (string path in new[] { RelayUnit, TransceiverUnit, "/usr/bin/edgevoice-relay", "/usr/bin/edgevoice-transceiver" })
            Assert.False(File.Exists(path) || Directory.Exists(path), $"{path} exists");
    }
}
