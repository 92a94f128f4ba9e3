using EdgeVoice.Cli;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Tunnel.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgevoice-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void CreateCa_IssueNode_Show()
    {
        var ca = Run("ca-create", "--cluster", "prod", "--cert", P("ca.crt"), "--key", P("ca.key"));
        Assert.True(ca.Code == 0, ca.Err);
        var node = Run("cert-issue", "--ca-cert", P("ca.crt"), "--ca-key", P("ca.key"), "--role", "transceiver", "--name", "gpu-7",
            "--cert", P("gpu.crt"), "--key", P("gpu.key"), "--days", "30");
        Assert.True(node.Code == 0, node.Err);

        foreach (string f in new[] { "ca.crt", "ca.key", "gpu.crt", "gpu.key" })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(P(f)));
        Assert.DoesNotContain("PRIVATE KEY", ca.Out + node.Out);

        var cert = PkiFiles.LoadCertificateWithKey(P("gpu.crt"), P("gpu.key"));
        Assert.Equal([new NodeIdentity(NodeRole.Transceiver, "gpu-7")], ClusterPki.ReadIdentities(cert));
        Assert.InRange((cert.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalDays, 29, 31);

        var show = Run("cert-show", P("gpu.crt"), "--ca", P("ca.crt"));
        Assert.Equal(0, show.Code);
        Assert.Contains("identity:    edgevoice://transceiver/gpu-7", show.Out);
        Assert.Contains("check:       accepted", show.Out);
    }

    [Fact]
    public void ExistingFiles_AreNotOverwritten_WithoutForce()
    {
        Assert.Equal(0, Run("ca-create", "--cluster", "a", "--cert", P("ca.crt"), "--key", P("ca.key")).Code);
        string before = File.ReadAllText(P("ca.key"));
        var again = Run("ca-create", "--cluster", "b", "--cert", P("ca.crt"), "--key", P("ca.key"));
        Assert.Equal(1, again.Code);
        Assert.Contains("ca.key", again.Err);
        Assert.Equal(before, File.ReadAllText(P("ca.key")));
        Assert.Equal(0, Run("ca-create", "--cluster", "b", "--cert", P("ca.crt"), "--key", P("ca.key"), "--force").Code);
        Assert.NotEqual(before, File.ReadAllText(P("ca.key")));
    }

    [Theory]
    [InlineData("cert-issue --ca-cert x --ca-key y --role admin --name n --cert c --key k", "--role")]
    [InlineData("cert-issue --ca-cert x --ca-key y --role relay --name BAD_NAME --cert c --key k", "--name")]
    [InlineData("cert-issue --ca-cert x --role relay --name n --cert c --key k", "--ca-key")]
    [InlineData("ca-create --cluster a --cert c --key k --days 0", "--days")]
    [InlineData("ca-create --cluster a --cert c --key k --colour blue", "--colour")]
    [InlineData("ca-create --cluster", "--cluster")]
    [InlineData("frobnicate", "frobnicate")]
    public void UsageErrors_NameTheOption(string commandLine, string named)
    {
        var r = Run(commandLine.Split(' '));
        Assert.Equal(1, r.Code);
        Assert.Contains(named, r.Err);
    }

    [Fact]
    public void Show_ForeignCertificate_IsRefusedByCheck()
    {
        Assert.Equal(0, Run("ca-create", "--cluster", "a", "--cert", P("a.crt"), "--key", P("a.key")).Code);
        Assert.Equal(0, Run("ca-create", "--cluster", "b", "--cert", P("b.crt"), "--key", P("b.key")).Code);
        Assert.Equal(0, Run("cert-issue", "--ca-cert", P("b.crt"), "--ca-key", P("b.key"), "--role", "relay", "--name", "r1", "--cert", P("r.crt"), "--key", P("r.key")).Code);
        var show = Run("cert-show", P("r.crt"), "--ca", P("a.crt"));
        Assert.Equal(2, show.Code);
        Assert.Contains("UntrustedChain", show.Out);
    }

    [Fact]
    public void TunnelProbe_DialsTheConfiguredTransceiver()
    {
        Assert.Equal(0, Run("ca-create", "--cluster", "p", "--cert", P("ca.crt"), "--key", P("ca.key")).Code);
        Assert.Equal(0, Run("cert-issue", "--ca-cert", P("ca.crt"), "--ca-key", P("ca.key"), "--role", "relay", "--name", "r1", "--cert", P("r1.crt"), "--key", P("r1.key")).Code);
        Assert.Equal(0, Run("cert-issue", "--ca-cert", P("ca.crt"), "--ca-key", P("ca.key"), "--role", "transceiver", "--name", "g1", "--cert", P("g1.crt"), "--key", P("g1.key")).Code);
        File.WriteAllText(P("g1.yaml"), "tunnel:\n  role: transceiver\n  name: g1\n  certificate: g1.crt\n  key: g1.key\n  ca: ca.crt\n  listen: 127.0.0.1:4433\n  capacity: 3\n  peers:\n    - name: r1\n");
        var serverOptions = EdgeVoice.Tunnel.Config.TunnelConfig.Load(P("g1.yaml")).CreateOptions(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var echo = new EchoTransceiver(serverOptions, EdgeVoice.Tunnel.Quic.TunnelServer.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)));
        int port = echo.Server.LocalEndPoint.Port;
        File.WriteAllText(P("r1.yaml"), $"tunnel:\n  role: relay\n  name: r1\n  certificate: r1.crt\n  key: r1.key\n  ca: ca.crt\n  peers:\n    - name: g1\n      address: 127.0.0.1:{port}\n    - name: g2\n      address: 127.0.0.1:9\n");

        var probe = Run("tunnel-probe", "--config", P("r1.yaml"), "--timeout", "2");
        Assert.Equal(2, probe.Code); // g1 answers, g2 does not exist
        Assert.Contains($"g1 127.0.0.1:{port}: connected to edgevoice://transceiver/g1, capacity 3, ping", probe.Out);
        Assert.Contains("g2 127.0.0.1:9: FAILED", probe.Out);
        serverOptions.Credentials.Dispose();
    }
}
