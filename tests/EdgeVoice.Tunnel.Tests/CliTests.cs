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
}
