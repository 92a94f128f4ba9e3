using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace EdgeVoice.Bench.Relay;

internal enum RelayKind
{
    EdgeVoice,
    Pion,
    /// <summary>Another EdgeVoice binary (--before PATH), e.g. the build before a change, run beside the current one.</summary>
    EdgeVoiceBefore,
}

/// <summary>
/// A relay under test as a child process on free loopback ports: EdgeVoice's published Native-AOT binary with a generated
/// YAML config (schema of configs/relay.yaml), or pion_relay with flags. Its output goes to a log file.
/// </summary>
internal sealed partial class RelayChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private RelayChild(RelayKind kind, Process process, string directory, IPEndPoint http, IPEndPoint udp, string key)
    {
        Kind = kind;
        _process = process;
        _directory = directory;
        Http = http;
        Udp = udp;
        Key = key;
        Client = new HttpClient { BaseAddress = new Uri($"http://{http}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public RelayKind Kind { get; }
    public bool IsEdgeVoice => Kind != RelayKind.Pion;
    public IPEndPoint Http { get; }
    public IPEndPoint Udp { get; }
    public string Key { get; }
    public HttpClient Client { get; }
    public Uri BaseUri => Client.BaseAddress!;
    public int Pid => _process.Id;
    public string LogPath => Path.Combine(_directory, "relay.log");

    /// <param name="batchWindow">media.batch_window for an EdgeVoice relay (e.g. "10ms"); null keeps the relay's default.</param>
    /// <param name="extraYaml">More top-level sections for EdgeVoice's config (e.g. <c>transceivers:</c>); pion takes none.</param>
    public static async Task<RelayChild> StartAsync(RelayKind kind, string root, string? beforeBinary = null, string? batchWindow = null, string extraYaml = "")
    {
        string binary = kind switch
        {
            RelayKind.EdgeVoice => Path.Combine(root, "artifacts", "relay", "edgevoice-relay"),
            RelayKind.EdgeVoiceBefore => beforeBinary ?? throw new ArgumentException("--before PATH is needed"),
            _ => Path.Combine(root, "out", "baselines", "pion_relay", "pion_relay"),
        };
        if (!File.Exists(binary))
            throw new FileNotFoundException($"{binary} is missing: run bench/relay.sh, which publishes the relay and builds the baselines");
        var http = new IPEndPoint(IPAddress.Loopback, FreeTcpPort());
        var udp = new IPEndPoint(IPAddress.Loopback, FreeUdpPort());
        string key = Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
        string directory = Directory.CreateTempSubdirectory($"edgevoice-bench-{kind.ToString().ToLowerInvariant()}-").FullName;
        string log = Path.Combine(directory, "relay.log");

        // The shell redirects the child's output to a file, so reading it costs neither process anything during a measurement.
        string command;
        if (kind != RelayKind.Pion)
        {
            string config = Path.Combine(directory, "relay.yaml");
            await File.WriteAllTextAsync(config, EdgeVoiceConfig(http, udp, key, batchWindow) + "\n" + extraYaml);
            command = $"exec {Quote(binary)} --config {Quote(config)}";
        }
        else
        {
            command = $"exec {Quote(binary)} --key {key} --http {http} --udp {udp}";
        }
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(binary)! };
        // The relay takes every EDGEVOICE_* variable as a setting: the child gets only the generated config.
        foreach (string name in info.Environment.Keys.Where(k => k.StartsWith("EDGEVOICE_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"{command} >{Quote(log)} 2>&1");
        var process = Process.Start(info)!;
        CpuCgroup.TryAdopt(process.Id);
        var child = new RelayChild(kind, process, directory, http, udp, key);
        try
        {
            await child.WaitUntilReadyAsync();
            return child;
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }
    }

    /// <summary>The bench's relay config: configs/relay.yaml's settings on free loopback ports.</summary>
    private static string EdgeVoiceConfig(IPEndPoint http, IPEndPoint udp, string key, string? batchWindow) => $"""
        # Written by bench/EdgeVoice.Bench (relay benchmark).
        http:
          listen_urls: [ "http://{http}" ]
        media:
          listen_address: {udp.Address}
          udp_port: {udp.Port}
          public_ip: {udp.Address}
          public_port: {udp.Port}
        {(batchWindow is null ? "" : $"  batch_window: {batchWindow}")}
        auth:
          api_keys:
            - id: bench
              key: {key}
          token_secret: YmVuY2gtdG9rZW4tc2VjcmV0LWZvci1lZGdldm9pY2UtcmVsYXktMDAwMDA=
        ice:
          ufrag_secret: YmVuY2gtdWZyYWctc2VjcmV0LWZvci1lZGdldm9pY2UtcmVsYXktMDAwMDA=
        cors:
          allowed_origins: [ "*" ]
        limits:
          max_sessions: 1000
          max_handshakes_in_flight: 64
        logging:
          level: information
        """;

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Kind} relay exited with code {_process.ExitCode}:\n{ReadLog()}");
            try
            {
                using var response = await Client.GetAsync("/v1/calls");
                return; // any status means HTTP is up
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"{Kind} relay did not answer HTTP on {Http}:\n{ReadLog()}");
    }

    public string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    public CpuSample Cpu() => CpuSample.Read(_process.Id);

    /// <summary>GET /v1/stats as name → number.</summary>
    public async Task<Dictionary<string, double>> StatsAsync()
    {
        string body;
        try
        {
            body = await GetStatsAsync();
        }
        catch (HttpRequestException)
        {
            // The keep-alive connection from the calls' setup may have been closed by the server as idle (pion's Go
            // server does) just as this request went out on it; the GET is safe to send again, on a new connection.
            body = await GetStatsAsync();
        }
        using var json = JsonDocument.Parse(body);
        var stats = new Dictionary<string, double>();
        foreach (var property in json.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Number)
                stats[property.Name] = property.Value.GetDouble();
        }
        return stats;
    }

    private async Task<string> GetStatsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/stats");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var response = await Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Datagrams the kernel dropped on the relay's UDP socket (the "drops" column of /proc/net/udp).</summary>
    public long UdpDrops()
    {
        string port = Udp.Port.ToString("X4");
        foreach (string line in File.ReadLines("/proc/net/udp").Skip(1))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 13 && f[1].EndsWith(":" + port, StringComparison.Ordinal))
                return long.Parse(f[^1]);
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            kill(_process.Id, 15); // SIGTERM, as systemd stops the relay
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        CpuCgroup.Release(_process.Id);
        _process.Dispose();
        Directory.Delete(_directory, recursive: true); // a failed start already put the log into its exception
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
