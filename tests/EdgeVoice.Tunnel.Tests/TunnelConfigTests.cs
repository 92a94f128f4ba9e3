using System.Net;
using EdgeVoice.Tunnel.Config;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeVoice.Tunnel.Tests;

public class TunnelConfigTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EdgeVoice.sln")))
            dir = dir.Parent;
        return Path.Combine(dir!.FullName, relative);
    }

    [Fact]
    public void ExampleRelayConfig_Parses()
    {
        string path = RepoFile("configs/tunnel-relay.yaml");
        Assert.True(TunnelConfig.TryParse(File.ReadAllText(path), path, out var c, out var errors), string.Join("\n", errors));
        Assert.Equal(NodeRole.Relay, c.Role);
        Assert.Equal("relay-eu-1", c.Name);
        Assert.Equal([new TunnelPeer("gpu-1", IPEndPoint.Parse("10.0.1.11:4433")), new TunnelPeer("gpu-2", IPEndPoint.Parse("10.0.1.12:4433"))], c.Peers);
        Assert.Equal(TimeSpan.FromSeconds(15), c.IdleTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(200), c.Reconnect.Initial);
        Assert.Null(c.Listen);
    }

    [Fact]
    public void ExampleTransceiverConfig_Parses()
    {
        string path = RepoFile("configs/tunnel-transceiver.yaml");
        Assert.True(TunnelConfig.TryParse(File.ReadAllText(path), path, out var c, out var errors), string.Join("\n", errors));
        Assert.Equal(NodeRole.Transceiver, c.Role);
        Assert.Equal(IPEndPoint.Parse("0.0.0.0:4433"), c.Listen);
        Assert.Equal(64u, c.Capacity);
        Assert.Equal(["relay-eu-1", "relay-us-1"], c.Peers.Select(p => p.Name));
    }

    private const string Relay = """
        tunnel:
          role: relay
          name: r1
          certificate: r1.crt
          key: r1.key
          ca: ca.crt
          peers:
            - name: gpu-1
              address: 127.0.0.1:4433
        """;

    public static TheoryData<string, string, string> Broken => new()
    {
        { "", "", "expected one YAML document" },
        { "tunnel: [1, 2", "", "not valid YAML" },
        { "other: 1", "", "tunnel: missing" },
        { Relay.Replace("role: relay", "role: admin"), "tunnel.role", "must be 'relay' or 'transceiver'" },
        { Relay.Replace("name: r1", "name: R_1"), "tunnel.name", "is not a node name" },
        { Relay.Replace("  key: r1.key\n", ""), "tunnel.key", "missing" },
        { Relay.Replace("address: 127.0.0.1:4433", "address: gpu-1"), "tunnel.peers[0].address", "must be IP:port" },
        { Relay.Replace("address: 127.0.0.1:4433", "address: 127.0.0.1:0"), "tunnel.peers[0].address", "must be IP:port" },
        { Relay.Replace("\n      address: 127.0.0.1:4433", ""), "tunnel.peers[0].address", "missing" },
        { Relay.Replace("    - name: gpu-1\n      address: 127.0.0.1:4433", "    - gpu-1"), "tunnel.peers[0]", "must be a mapping" },
        { Relay.Replace("  ca: ca.crt", "  ca: ca.crt\n  idle_timeout: soon"), "tunnel.idle_timeout", "is not a duration" },
        { Relay.Replace("  ca: ca.crt", "  ca: ca.crt\n  idle_timeout: 2s\n  keepalive: 3s"), "tunnel.keepalive", "must be shorter than idle_timeout" },
        { Relay.Replace("  ca: ca.crt", "  ca: ca.crt\n  colour: blue"), "tunnel", "unknown key 'colour'" },
        { Relay.Replace("  ca: ca.crt", "  ca: ca.crt\n  listen: 0.0.0.0:4433"), "tunnel.listen", "applies to a transceiver only" },
        { Relay.Replace("  ca: ca.crt", "  ca: ca.crt\n  reconnect:\n    initial: 5s\n    max: 1s"), "tunnel.reconnect.max", "must not be shorter" },
        { Relay.Replace("role: relay", "role: transceiver").Replace("  ca: ca.crt", "  ca: ca.crt\n  capacity: 0"), "tunnel.capacity", "whole number from 1" },
        { Relay.Replace("role: relay", "role: transceiver").Replace("  ca: ca.crt", "  ca: ca.crt\n  capacity: 4"), "tunnel.peers[0].address", "does not dial" },
        { Relay + "\n    - name: gpu-1\n      address: 127.0.0.1:4434", "tunnel.peers[1].name", "listed twice" },
        { Relay.Replace("  peers:\n    - name: gpu-1\n      address: 127.0.0.1:4433", "  peers: []"), "tunnel.peers", "lists no peers" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void BrokenConfig_ErrorNamesFileAndField(string yaml, string field, string message)
    {
        Assert.False(TunnelConfig.TryParse(yaml, "/etc/edgevoice/relay.yaml", out _, out var errors));
        Assert.Contains(errors, e => e.StartsWith("/etc/edgevoice/relay.yaml", StringComparison.Ordinal)
                                     && e.Contains(field + (field.Length > 0 ? ":" : ""), StringComparison.Ordinal) && e.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void RandomYamlish_NeverThrows()
    {
        var rng = new Random(8);
        string[] parts = ["tunnel:", "\n", "  ", "role: ", "relay", "peers:", "- ", "name: ", "x", ":", "[", "]", "{", "}", "'", "\"", "&a", "*a", "!!int", "4433", "address: "];
        for (int i = 0; i < 2000; i++)
        {
            string yaml = string.Concat(Enumerable.Range(0, rng.Next(1, 30)).Select(_ => parts[rng.Next(parts.Length)]));
            bool ok = TunnelConfig.TryParse(yaml, "fuzz.yaml", out _, out var errors);
            Assert.True(ok || errors.Count > 0);
        }
    }

    [Fact]
    public void Load_WithCertificatesFromCli_MakesWorkingOptions()
    {
        var dir = Directory.CreateTempSubdirectory("edgevoice-cfg-");
        try
        {
            string P(string f) => Path.Combine(dir.FullName, f);
            Assert.Equal(0, EdgeVoice.Cli.Program.Run(["ca-create", "--cluster", "t", "--cert", P("ca.crt"), "--key", P("ca.key")], TextWriter.Null, TextWriter.Null));
            Assert.Equal(0, EdgeVoice.Cli.Program.Run(["cert-issue", "--ca-cert", P("ca.crt"), "--ca-key", P("ca.key"), "--role", "relay", "--name", "r1", "--cert", P("r1.crt"), "--key", P("r1.key")], TextWriter.Null, TextWriter.Null));
            File.WriteAllText(P("relay.yaml"), Relay);
            var config = TunnelConfig.Load(P("relay.yaml"));
            var options = config.CreateOptions(NullLogger.Instance);
            Assert.Equal(new NodeIdentity(NodeRole.Relay, "r1"), options.Self);
            Assert.Equal(NodeRole.Transceiver, options.PeerCheck.ExpectedRole);
            options.Credentials.Dispose();

            File.WriteAllText(P("wrong.yaml"), Relay.Replace("name: r1", "name: r2"));
            var mismatch = Assert.Throws<TunnelConfigException>(() => TunnelConfig.Load(P("wrong.yaml")).CreateOptions(NullLogger.Instance));
            Assert.Contains("tunnel.certificate", mismatch.Message);
            Assert.Contains("edgevoice://relay/r2", mismatch.Message);

            File.WriteAllText(P("missing.yaml"), Relay.Replace("ca: ca.crt", "ca: nope.crt"));
            var missing = Assert.Throws<TunnelConfigException>(() => TunnelConfig.Load(P("missing.yaml")));
            Assert.Contains("missing.yaml:6:7: tunnel.ca: file", missing.Message);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
