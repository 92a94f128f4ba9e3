using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>
/// A relay and N transceivers as separate processes can fail: a cluster CA and node certificates made for the test,
/// <c>edgevoice-transceiver serve</c> child processes (embedded engines, the demo grammar) that a test may SIGKILL or
/// SIGTERM, and a relay (in-process, or the published Native-AOT binary) whose <c>transceivers:</c> pool holds them.
/// </summary>
public sealed class ClusterRig : IAsyncDisposable
{
    public const string RelayName = "relay-1";

    private readonly string _directory;
    private readonly ITestOutputHelper? _output;

    private ClusterRig(string directory, IReadOnlyList<TransceiverProcess> transceivers, InProcessRelay? relay, RelayProcess? process, ITestOutputHelper? output)
    {
        _directory = directory;
        Transceivers = transceivers;
        Relay = relay;
        Process = process;
        _output = output;
    }

    /// <summary>gpu-1, gpu-2, … in the order of the relay's pool.</summary>
    public IReadOnlyList<TransceiverProcess> Transceivers { get; }
    /// <summary>The relay when it runs in the test process (null when it is the published binary).</summary>
    public InProcessRelay? Relay { get; }
    /// <summary>The published Native-AOT relay as a child process (null when in-process).</summary>
    public RelayProcess? Process { get; }
    public Uri Http => Relay?.Http ?? Process!.BaseUri;
    public string ApiKey => Relay is not null ? InProcessRelay.ApiKey : Process!.Key;
    public static string Grammar => Path.Combine(RepoPaths.Root, "configs", "transceiver-demo.gram");

    /// <param name="sessions">limits.max_sessions (and tunnel.capacity) of each transceiver.</param>
    /// <param name="relayYaml">Extra lines for the relay's <c>transceivers:</c> section (indented two spaces), e.g. <c>  dead_after: 900ms</c>.</param>
    /// <param name="drainTimeoutSeconds">limits.drain_timeout_s of each transceiver.</param>
    public static async Task<ClusterRig> StartAsync(int transceiverCount = 2, int sessions = 1, bool publishedRelay = false,
        ITestOutputHelper? output = null, string relayYaml = "", int drainTimeoutSeconds = 10)
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-cluster-").FullName;
        var names = Enumerable.Range(1, transceiverCount).Select(i => $"gpu-{i}").ToList();
        TestClusterPki.Write(directory, RelayName, names);

        var transceivers = new List<TransceiverProcess>();
        InProcessRelay? relay = null;
        RelayProcess? process = null;
        try
        {
            foreach (string name in names)
            {
                int port = FreePort.Udp();
                string config = Path.Combine(directory, name + ".yaml");
                // QUIC's idle timeout stays at its 15 s default: a SIGKILLed transceiver is noticed by the relay's own pings.
                await File.WriteAllTextAsync(config, $"""
                    asr:
                      engine: pocketsphinx
                      pocketsphinx:
                        grammar: {Grammar}
                    limits:
                      max_sessions: {sessions}
                      drain_timeout_s: {drainTimeoutSeconds}
                    tunnel:
                      role: transceiver
                      name: {name}
                      certificate: {name}.crt
                      key: {name}.key
                      ca: ca.crt
                      listen: 127.0.0.1:{port}
                      capacity: {sessions}
                      peers:
                        - name: {RelayName}
                    """);
                transceivers.Add(TransceiverProcess.Start(name, port, config, directory));
            }
            foreach (var t in transceivers)
                await t.WaitForLogAsync($"serving tunnel on udp 127.0.0.1:{t.Port}", TimeSpan.FromSeconds(60));

            string section = $"""
                transceivers:
                  name: {RelayName}
                  certificate: {Path.Combine(directory, RelayName + ".crt")}
                  key: {Path.Combine(directory, RelayName + ".key")}
                  ca: {Path.Combine(directory, "ca.crt")}
                {relayYaml}
                  pool:

                """ + string.Join('\n', transceivers.Select(t => $"    - name: {t.Name}\n      address: 127.0.0.1:{t.Port}")) + "\n";
            if (publishedRelay)
                process = await RelayProcess.StartAsync(RelayKind.EdgeVoice, output, section);
            else
                relay = await InProcessRelay.StartAsync(extraYaml: section);
        }
        catch
        {
            foreach (var t in transceivers) await t.DisposeAsync();
            if (relay is not null) await relay.DisposeAsync();
            throw;
        }
        var rig = new ClusterRig(directory, transceivers, relay, process, output);
        if (!await InProcessRelay.EventuallyAsync(() => transceivers.All(t => t.Log.Contains($"tunnel: edgevoice://relay/{RelayName} connected")), TimeSpan.FromSeconds(20))
            || (relay is not null && !await InProcessRelay.EventuallyAsync(() => relay.Server.Transceivers.All(l => l.IsConnected && l.Capacity > 0), TimeSpan.FromSeconds(10))))
        {
            await rig.DisposeAsync();
            throw new InvalidOperationException("the relay's tunnels to the transceivers did not come up in 20 s:\n"
                + string.Join('\n', transceivers.Select(t => $"--- {t.Name} ---\n{t.Log}")));
        }
        return rig;
    }

    public TransceiverProcess this[string name] => Transceivers.Single(t => t.Name == name);

    private static readonly HttpClient StatsClient = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>GET /v1/stats from the relay, in-process or published alike.</summary>
    public async Task<EdgeVoice.Relay.Signaling.RelayStats> StatsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Http, "/v1/stats"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        using var response = await StatsClient.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return System.Text.Json.JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), EdgeVoice.Relay.Signaling.SignalingJson.Default.RelayStats)!;
    }

    /// <summary>The relay's failover counters (moves, calls ended for want of a transceiver, gaps).</summary>
    public async Task<EdgeVoice.Relay.Signaling.FailoverStats> FailoverAsync() => (await StatsAsync()).Failover!;

    /// <summary>The transceiver that logged opening the call <paramref name="callId"/> (waits for it).</summary>
    public async Task<TransceiverProcess> ServingAsync(string callId, TimeSpan timeout)
    {
        TransceiverProcess? found = null;
        await InProcessRelay.EventuallyAsync(() => (found = Transceivers.FirstOrDefault(t => t.Log.Contains($"opened trace_id={callId}"))) is not null, timeout);
        return found ?? throw new TimeoutException($"no transceiver opened call {callId} within {timeout.TotalSeconds} s:\n"
            + string.Join('\n', Transceivers.Select(t => $"--- {t.Name} ---\n{t.Log}")));
    }

    public async ValueTask DisposeAsync()
    {
        if (Relay is not null) await Relay.DisposeAsync();
        if (Process is not null) await Process.DisposeAsync();
        foreach (var t in Transceivers)
        {
            await t.DisposeAsync();
            try
            {
                _output?.WriteLine($"--- {t.Name} (pid {t.Pid}) ---\n{t.Log}");
            }
            catch (InvalidOperationException)
            {
                // The test has already finished.
            }
        }
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>One <c>edgevoice-transceiver serve</c> child process and what it printed.</summary>
public sealed class TransceiverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private TransceiverProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
    }

    public string Name { get; }
    /// <summary>Its tunnel port on 127.0.0.1.</summary>
    public int Port { get; }
    /// <summary>Kept from the start: the log written after disposal names it, when Process.Id would throw.</summary>
    public int Pid { get; private set; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Log => string.Join('\n', _lines);

    public static TransceiverProcess Start(string name, int port, string configPath, string workingDirectory)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "edgevoice-transceiver"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(configPath);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new TransceiverProcess(name, port, process);
        process.OutputDataReceived += (_, e) => started.Add(e.Data);
        process.ErrorDataReceived += (_, e) => started.Add(e.Data);
        process.Start();
        started.Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    private void Add(string? line)
    {
        if (line is not null)
            _lines.Enqueue($"[{_clock.Elapsed.TotalSeconds,7:F3}] {line}");
    }

    /// <summary>SIGKILL: the process is gone at once, no goodbye on its tunnels.</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGTERM, as systemd stops it: it drains, then exits.</summary>
    public void Terminate() => ProcessSignals.Terminate(_process.Id);

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public async Task WaitForLogAsync(string text, TimeSpan timeout)
    {
        if (!await InProcessRelay.EventuallyAsync(() => Log.Contains(text, StringComparison.Ordinal) || _process.HasExited, timeout) || !Log.Contains(text, StringComparison.Ordinal))
            throw new TimeoutException($"{Name} did not log '{text}' within {timeout.TotalSeconds} s{(_process.HasExited ? $" (exited with {_process.ExitCode})" : "")}:\n{Log}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await WaitForExitAsync(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
