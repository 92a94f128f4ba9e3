using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Transceiver.Configuration;
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

    private ConversationRig(string directory, IReadOnlyList<TunnelSessionServer> transceivers, InProcessRelay? relay, RelayProcess? process,
        IReadOnlyList<UdpCable> cables)
    {
        _directory = directory;
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

    /// <param name="transceiverSessions">limits.max_sessions (and tunnel.capacity) of each transceiver.</param>
    /// <param name="publishedRelay">Run the published Native-AOT relay (artifacts/relay) as a child process instead of in-process.</param>
    /// <param name="crossAddresses">List each transceiver in the relay's pool under the next one's address (a misconfiguration): then nothing connects.</param>
    /// <param name="throughCables">Put a <see cref="UdpCable"/> between the relay and each transceiver (<see cref="Cables"/>).</param>
    public static async Task<ConversationRig> StartAsync(int transceiverSessions = 1, bool publishedRelay = false,
        Xunit.Abstractions.ITestOutputHelper? output = null, int transceiverCount = 1, bool crossAddresses = false, bool throughCables = false)
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-conversation-").FullName;
        var names = Enumerable.Range(1, transceiverCount).Select(i => $"gpu-{i}").ToList();
        var now = DateTimeOffset.UtcNow;
        using (var ca = ClusterPki.CreateCa("test", now.AddDays(-1), now.AddDays(30)))
        {
            PkiFiles.WriteCertificate(Path.Combine(directory, "ca.crt"), ca, overwrite: true);
            foreach (var (role, name) in names.Select(n => (NodeRole.Transceiver, n)).Prepend((NodeRole.Relay, RelayName)))
            {
                using var node = ClusterPki.IssueNode(ca, new NodeIdentity(role, name), now.AddDays(-1), now.AddDays(30));
                PkiFiles.WriteCertificate(Path.Combine(directory, name + ".crt"), node, overwrite: true);
                PkiFiles.WritePrivateKey(Path.Combine(directory, name + ".key"), node, overwrite: true);
            }
        }

        var transceivers = new List<TunnelSessionServer>();
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
                transceivers.Add(TunnelSessionServer.Start(config, tunnel.CreateOptions(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance),
                    tunnel.Listen!, _ => { }, TimeSpan.FromMilliseconds(200)));
                ports.Add(tunnelPort);
            }
        }
        catch
        {
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
                  pool:

                """ + string.Join('\n', pool) + "\n";
            if (publishedRelay)
                process = await RelayProcess.StartAsync(RelayKind.EdgeVoice, output, section);
            else
                relay = await InProcessRelay.StartAsync(extraYaml: section);
        }
        catch
        {
            foreach (var t in transceivers) await t.DisposeAsync();
            foreach (var c in cables) c.Dispose();
            throw;
        }
        var rig = new ConversationRig(directory, transceivers, relay, process, cables);
        if (crossAddresses)
            return rig;
        // The relay counts a transceiver once the tunnel is up and the first load report arrived (sent on connect).
        if (!await InProcessRelay.EventuallyAsync(() => transceivers.All(t => t.Connections.Any(c => c.State == TunnelState.Connected))
                && (relay is null || relay.Server.Transceivers.All(t => t.IsConnected && t.Capacity > 0)), TimeSpan.FromSeconds(10)))
        {
            await rig.DisposeAsync();
            throw new InvalidOperationException("the relay's tunnels to the transceivers did not come up in 10 s");
        }
        return rig;
    }

    public async ValueTask DisposeAsync()
    {
        if (Relay is not null) await Relay.DisposeAsync();
        if (Process is not null) await Process.DisposeAsync();
        foreach (var t in Transceivers) await t.DisposeAsync();
        foreach (var c in Cables) c.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
