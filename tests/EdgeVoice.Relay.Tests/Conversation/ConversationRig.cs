using System.Collections.Concurrent;
using System.Net;
using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Metrics;
using EdgeVoice.Transceiver.Serve;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Relay.Tests.Conversation;

/// <summary>
/// The whole path of a call on loopback: a cluster CA and node certificates made for the test, transceiver
/// <c>serve</c> hosts (embedded engines) and a relay configured with a <c>transceivers:</c> pool holding them.
/// </summary>
public sealed class ConversationRig : IAsyncDisposable
{
    public const string RelayName = "relay-1";

    private readonly string _directory;
    private readonly ConcurrentQueue<string> _transceiverLog;
    private readonly IReadOnlyList<MetricsListener> _metrics;

    private ConversationRig(string directory, IReadOnlyList<TunnelSessionServer> transceivers, InProcessRelay? relay, RelayProcess? process,
        ConcurrentQueue<string> transceiverLog, IReadOnlyList<MetricsListener> metrics, IReadOnlyList<UdpCable> cables)
    {
        _directory = directory;
        _transceiverLog = transceiverLog;
        _metrics = metrics;
        Cables = cables;
        Transceivers = transceivers;
        Relay = relay;
        Process = process;
    }

    /// <summary>gpu-1, gpu-2, … in the order of the relay's pool.</summary>
    public IReadOnlyList<TunnelSessionServer> Transceivers { get; }
    public TunnelSessionServer Transceiver => Transceivers[0];
    /// <summary>With <c>throughCables</c>: the relay reaches transceiver i through Cables[i]; cut one and that transceiver vanishes.</summary>
    public IReadOnlyList<UdpCable> Cables { get; }
    /// <summary>The relay when it runs in the test process (null when it is the published Native-AOT binary).</summary>
    public InProcessRelay? Relay { get; }
    /// <summary>The published Native-AOT relay as a child process (null when in-process).</summary>
    public RelayProcess? Process { get; }
    public Uri Http => Relay?.Http ?? Process!.BaseUri;
    public string ApiKey => Relay is not null ? InProcessRelay.ApiKey : Process!.Key;
    public static string Grammar => Path.Combine(RepoPaths.Root, "configs", "transceiver-demo.gram");

    /// <summary>Every line the transceivers logged so far, each prefixed with the transceiver's name.</summary>
    public IReadOnlyList<string> TransceiverLog => _transceiverLog.ToArray();

    /// <summary>Each transceiver's Prometheus endpoint (http://127.0.0.1:port/metrics), as <c>serve</c> runs it.</summary>
    public IReadOnlyList<Uri> TransceiverMetrics => _metrics.Select(m => new Uri($"http://{m.LocalEndPoint}/metrics")).ToList();

    /// <param name="transceiverSessions">limits.max_sessions (and tunnel.capacity) of each transceiver.</param>
    /// <param name="publishedRelay">Run the published Native-AOT relay (artifacts/relay) as a child process instead of in-process.</param>
    /// <param name="crossAddresses">List each transceiver in the relay's pool under the next one's address (a misconfiguration): then nothing connects.</param>
    /// <param name="throughCables">Put a <see cref="UdpCable"/> between the relay and each transceiver (<see cref="Cables"/>).</param>
    public static async Task<ConversationRig> StartAsync(int transceiverSessions = 1, bool publishedRelay = false,
        Xunit.Abstractions.ITestOutputHelper? output = null, int transceiverCount = 1, bool crossAddresses = false, bool throughCables = false)
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-conversation-").FullName;
        var names = Enumerable.Range(1, transceiverCount).Select(i => $"gpu-{i}").ToList();
        TestClusterPki.Write(directory, RelayName, names);

        var transceivers = new List<TunnelSessionServer>();
        var transceiverLog = new ConcurrentQueue<string>();
        var metrics = new List<MetricsListener>();
        var ports = new List<int>();
        try
        {
            foreach (string name in names)
            {
                // Each transceiver's own YAML with its tunnel: section, read the way `serve` reads it. QUIC takes the
                // smaller idle timeout of the two ends, so 3 s here makes a vanished transceiver show within 3 s.
                int tunnelPort = FreePort.Udp();
                string transceiverYaml = Path.Combine(directory, name + ".yaml");
                await File.WriteAllTextAsync(transceiverYaml, $"""
                    asr:
                      engine: pocketsphinx
                      pocketsphinx:
                        grammar: {Grammar}
                    limits:
                      max_sessions: {transceiverSessions}
                    tunnel:
                      role: transceiver
                      name: {name}
                      certificate: {name}.crt
                      key: {name}.key
                      ca: ca.crt
                      listen: 127.0.0.1:{tunnelPort}
                      capacity: {transceiverSessions}
                      idle_timeout: 3s
                      keepalive: 1s
                      peers:
                        - name: {RelayName}
                    """);
                var config = TransceiverConfig.Load(transceiverYaml);
                var tunnel = ServeCommand.LoadTunnel(config, null);
                string node = name;
                var server = TunnelSessionServer.Start(config, tunnel.CreateOptions(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance),
                    tunnel.Listen!, line => transceiverLog.Enqueue($"{node}: {line}"), TimeSpan.FromMilliseconds(200));
                transceivers.Add(server);
                metrics.Add(MetricsListener.Start(new IPEndPoint(IPAddress.Loopback, 0), () => TransceiverExposition.Write(server), line => transceiverLog.Enqueue($"{node}: {line}")));
                ports.Add(tunnelPort);
            }
        }
        catch
        {
            foreach (var m in metrics) await m.DisposeAsync();
            foreach (var t in transceivers) await t.DisposeAsync();
            throw;
        }

        var cables = throughCables ? ports.Select(p => new UdpCable(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, p))).ToList() : [];
        var dialed = throughCables ? cables.Select(c => c.LocalEndPoint.Port).ToList() : ports;
        var pool = names.Select((name, i) => $"    - name: {name}\n      address: 127.0.0.1:{dialed[crossAddresses ? (i + 1) % ports.Count : i]}");
        InProcessRelay? relay = null;
        RelayProcess? process = null;
        try
        {
            string section = $"""
                transceivers:
                  name: {RelayName}
                  certificate: {Path.Combine(directory, RelayName + ".crt")}
                  key: {Path.Combine(directory, RelayName + ".key")}
                  ca: {Path.Combine(directory, "ca.crt")}
                  # In-process transceivers share the test's CPU with Chromium and the relay: a 900 ms stall is no
                  # failure here (the failover tests measure the 900 ms default with real processes in ClusterRig).
                  dead_after: 3s
                  pool:

                """ + string.Join('\n', pool) + "\n";
            if (publishedRelay)
                process = await RelayProcess.StartAsync(RelayKind.EdgeVoice, output, section);
            else
                relay = await InProcessRelay.StartAsync(extraYaml: section);
        }
        catch
        {
            foreach (var m in metrics) await m.DisposeAsync();
            foreach (var t in transceivers) await t.DisposeAsync();
            foreach (var c in cables) c.Dispose();
            throw;
        }
        var rig = new ConversationRig(directory, transceivers, relay, process, transceiverLog, metrics, cables);
        if (crossAddresses)
            return rig;
        // The relay counts a transceiver once the tunnel is up and the first load report arrived (sent on connect).
        if (!await InProcessRelay.EventuallyAsync(() => transceivers.All(t => t.Connections.Any(c => c.State == TunnelState.Connected))
                && (relay is null || relay.Server.Transceivers.All(t => t.IsConnected && t.Capacity > 0)), TimeSpan.FromSeconds(10))
            || (process is not null && !await PublishedRelayConnectedAsync(process, names.Count, TimeSpan.FromSeconds(10))))
        {
            await rig.DisposeAsync();
            throw new InvalidOperationException("the relay's tunnels to the transceivers did not come up in 10 s");
        }
        return rig;
    }

    /// <summary>The child relay's own view (GET /v1/stats): every transceiver connected with a capacity, as the in-process check reads it.</summary>
    private static async Task<bool> PublishedRelayConnectedAsync(RelayProcess process, int count, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(process.BaseUri, "/v1/stats"));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", process.Key);
            try
            {
                using var response = await http.SendAsync(request);
                var stats = System.Text.Json.JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), EdgeVoice.Relay.Signaling.SignalingJson.Default.RelayStats);
                if (stats?.Transceivers is { } links && links.Count == count && links.All(t => t.Connected && t.Capacity > 0))
                    return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { }
            await Task.Delay(50);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (Relay is not null) await Relay.DisposeAsync();
        if (Process is not null) await Process.DisposeAsync();
        foreach (var m in _metrics) await m.DisposeAsync();
        foreach (var t in Transceivers) await t.DisposeAsync();
        foreach (var c in Cables) c.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
