using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>
/// A relay running as a child process on free loopback ports (one HTTP, one UDP). Started by
/// <see cref="StartAsync"/>, which returns once HTTP answers; disposing kills it and writes what it
/// printed to the test's output. Children left alive are killed when the test host exits.
/// </summary>
public sealed class RelayProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);
    private static readonly ConcurrentDictionary<int, Process> Live = new();
    private static readonly SemaphoreSlim BaselineBuild = new(1, 1);
    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly Process _process;
    private readonly RelayLog _log;
    private readonly ITestOutputHelper? _output;
    private readonly string? _tempDir;
    private bool _exited;
    private int _disposing;

    static RelayProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Live.Values)
            {
                TryKill(process);
            }
        };
    }

    private RelayProcess(RelayKind kind, Process process, RelayLog log, RelayEndpoints endpoints, ITestOutputHelper? output, string? tempDir)
    {
        Kind = kind;
        _process = process;
        _log = log;
        Endpoints = endpoints;
        _output = output;
        _tempDir = tempDir;
    }

    public RelayKind Kind { get; }

    public RelayEndpoints Endpoints { get; }

    /// <summary>The HTTP base, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public Uri BaseUri => new($"http://{Endpoints.Http}");

    public string Key => Endpoints.Key;

    /// <summary>Everything the relay printed so far, stdout and stderr interleaved.</summary>
    public string Log => _log.Text;

    public bool HasExited => _exited || (_disposing == 0 && _process.HasExited);

    /// <summary>Starts the relay chosen by EDGEVOICE_TEST_RELAY.</summary>
    public static Task<RelayProcess> StartAsync(ITestOutputHelper? output) => StartAsync(RelayKinds.Selected, output);

    /// <param name="extraYaml">Sections appended to EdgeVoice's relay config (e.g. <c>transceivers:</c>).</param>
    public static async Task<RelayProcess> StartAsync(RelayKind kind, ITestOutputHelper? output, string extraYaml = "")
    {
        var binary = kind == RelayKind.Pion ? await EnsurePionRelayAsync() : EnsurePublishedRelay();
        // A free port can be taken between probing and binding; try fresh ports a few times.
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var endpoints = new RelayEndpoints(
                new IPEndPoint(IPAddress.Loopback, FreePort.Tcp()),
                new IPEndPoint(IPAddress.Loopback, FreePort.Udp()),
                Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant());
            try
            {
                return await LaunchAsync(kind, binary, endpoints, output, extraYaml);
            }
            catch (RelayExitedException e)
            {
                last = e;
            }
        }
        throw last!;
    }

    private static async Task<RelayProcess> LaunchAsync(RelayKind kind, string binary, RelayEndpoints endpoints, ITestOutputHelper? output, string extraYaml)
    {
        string? tempDir = null;
        IReadOnlyList<string> arguments;
        if (kind == RelayKind.Pion)
        {
            arguments = ["--key", endpoints.Key, "--http", endpoints.Http.ToString(), "--udp", endpoints.Udp.ToString()];
        }
        else
        {
            tempDir = Directory.CreateTempSubdirectory("edgevoice-relay-test-").FullName;
            var configPath = Path.Combine(tempDir, "relay.yaml");
            await File.WriteAllTextAsync(configPath, EdgeVoiceRelayLaunch.ConfigYaml(endpoints) + "\n" + extraYaml);
            arguments = EdgeVoiceRelayLaunch.Arguments(configPath, endpoints);
        }

        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(binary)!,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var log = new RelayLog();
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => log.Add("out", e.Data);
        process.ErrorDataReceived += (_, e) => log.Add("err", e.Data);
        process.Start();
        Live[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var relay = new RelayProcess(kind, process, log, endpoints, output, tempDir);
        log.Add("fixture", $"{kind} relay pid {process.Id}: {binary} {string.Join(' ', arguments)}");

        try
        {
            await relay.WaitUntilHttpAnswersAsync();
            return relay;
        }
        catch
        {
            await relay.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilHttpAnswersAsync()
    {
        var deadline = Stopwatch.StartNew();
        var probe = new Uri(BaseUri, "/v1/calls");
        while (deadline.Elapsed < ReadyTimeout)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // lets the output readers drain
                throw new RelayExitedException($"{Kind} relay exited with code {_process.ExitCode} before its HTTP port answered.\n{Log}");
            }
            try
            {
                // Any HTTP status (405 for GET here) means the server is up.
                using var response = await Probe.GetAsync(probe);
                return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"{Kind} relay did not answer HTTP on {Endpoints.Http} within {ReadyTimeout.TotalSeconds} s.\n{Log}");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) == 1)
        {
            return;
        }
        // SIGTERM first, as systemd stops the relay, so a shutdown path that hangs shows in the log.
        var graceful = !_process.HasExited && ProcessSignals.Terminate(_process.Id) && await WaitForExitAsync(TimeSpan.FromSeconds(3));
        if (!graceful)
        {
            TryKill(_process);
            await WaitForExitAsync(TimeSpan.FromSeconds(5));
        }
        Live.TryRemove(_process.Id, out _);
        _exited = _process.HasExited;
        _log.Add("fixture", !_process.HasExited ? "did not exit within 5 s of SIGKILL"
            : graceful ? $"exited with code {_process.ExitCode} after SIGTERM"
            : $"exited with code {_process.ExitCode} (killed)");
        WriteLogToTestOutput();
        _process.Dispose();
        if (_tempDir is not null)
        {
            Directory.Delete(_tempDir, recursive: true);
        }
    }

    private async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void WriteLogToTestOutput()
    {
        if (_output is null)
        {
            return;
        }
        try
        {
            _output.WriteLine($"--- {Kind} relay output ---\n{Log}");
        }
        catch (InvalidOperationException)
        {
            // The test has already finished; its output can no longer be written.
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    private static string EnsurePublishedRelay()
    {
        if (!File.Exists(RepoPaths.PublishedRelay))
        {
            throw new FileNotFoundException(
                $"{RepoPaths.PublishedRelay} is missing: publish it with " +
                "`dotnet publish relay-aot/EdgeVoice.Relay -c Release -r linux-x64 -o artifacts/relay` (.ci/run does).");
        }
        return RepoPaths.PublishedRelay;
    }

    private static async Task<string> EnsurePionRelayAsync()
    {
        await BaselineBuild.WaitAsync();
        try
        {
            if (File.Exists(RepoPaths.PionRelay))
            {
                return RepoPaths.PionRelay;
            }
            var info = new ProcessStartInfo("bash")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = RepoPaths.Root,
            };
            info.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bench", "baselines.sh"));
            if (Environment.GetEnvironmentVariable("EDGEVOICE_BASELINES") is null && FindBaselineSources() is { } sources)
            {
                info.Environment["EDGEVOICE_BASELINES"] = sources;
            }
            using var build = Process.Start(info)!;
            var stdout = build.StandardOutput.ReadToEndAsync();
            var stderr = build.StandardError.ReadToEndAsync();
            await build.WaitForExitAsync();
            if (build.ExitCode != 0 || !File.Exists(RepoPaths.PionRelay))
            {
                throw new InvalidOperationException(
                    $"bash bench/baselines.sh failed (exit {build.ExitCode}); it needs gcc libsrtp2-dev libssl-dev golang-go " +
                    $"golang-github-pion-webrtc.v3-dev and ../shared/baselines.\n{await stdout}{await stderr}");
            }
            return RepoPaths.PionRelay;
        }
        finally
        {
            BaselineBuild.Release();
        }
    }

    /// <summary>The nearest shared/baselines beside the checkout or one of its parents (a worktree sits deeper than a clone).</summary>
    private static string? FindBaselineSources()
    {
        for (var dir = Directory.GetParent(RepoPaths.Root); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "baselines");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private sealed class RelayExitedException(string message) : Exception(message);

    /// <summary>Lines a child printed, stamped with the time since start.</summary>
    private sealed class RelayLog
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly ConcurrentQueue<string> _lines = new();

        public string Text => string.Join('\n', _lines);

        public void Add(string stream, string? line)
        {
            if (line is not null)
            {
                _lines.Enqueue($"[{_clock.Elapsed.TotalSeconds,7:F3} {stream}] {line}");
            }
        }
    }
}

/// <summary>Where a relay listens and the bearer key it accepts.</summary>
public sealed record RelayEndpoints(IPEndPoint Http, IPEndPoint Udp, string Key);
