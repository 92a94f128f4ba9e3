using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Tunnel.Tests;

public class TunnelHandshakeTests(TestPki pki) : IClassFixture<TestPki>
{
    [Fact]
    public void GoodCertificates_Connect_BothSidesSeeThePeer()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect(), string.Join("\n", link.ClientLog.Lines.Concat(link.ServerLog.Lines)));

        var clientConnected = Assert.Single(link.ClientEvents, e => e.Kind == TunnelEventKind.Connected);
        Assert.Equal(new NodeIdentity(NodeRole.Transceiver, "gpu-1"), clientConnected.Peer);
        Assert.Equal(64u, Assert.IsType<HelloMessage>(clientConnected.Message).Capacity);
        var serverConnected = Assert.Single(link.ServerEvents, e => e.Event.Kind == TunnelEventKind.Connected);
        Assert.Equal(new NodeIdentity(NodeRole.Relay, "relay-1"), serverConnected.Event.Peer);
        Assert.Contains(link.ServerLog.Lines, l => l.Contains("connected: peer edgevoice://relay/relay-1"));
    }

    public static TheoryData<string, PeerCheckFailure> ClientCertificatesTheServerRefuses => new()
    {
        { nameof(TestPki.RelayFromOtherCa), PeerCheckFailure.UntrustedChain },
        { nameof(TestPki.ExpiredRelay), PeerCheckFailure.Expired },
        { nameof(TestPki.RelayNamedTransceiver), PeerCheckFailure.WrongRole },
        { nameof(TestPki.RelayWrongName), PeerCheckFailure.WrongName },
        { "none", PeerCheckFailure.NoCertificate },
    };

    [Theory]
    [MemberData(nameof(ClientCertificatesTheServerRefuses))]
    public void Server_RefusesBadClientCertificate(string certificate, PeerCheckFailure expected)
    {
        using var link = new VirtualLink(pki, clientCredentials: p => certificate == "none"
            ? TunnelCredentials.WithoutCertificate()
            : TunnelCredentials.FromCertificate((System.Security.Cryptography.X509Certificates.X509Certificate2)typeof(TestPki).GetProperty(certificate)!.GetValue(p)!));
        link.RunUntil(() => link.Client.State == TunnelState.Closed && link.Server.Connections.Count == 0, TimeSpan.FromSeconds(5));

        Assert.Equal(TunnelState.Closed, link.Client.State);
        Assert.DoesNotContain(link.ClientEvents, e => e.Kind == TunnelEventKind.Connected);
        Assert.DoesNotContain(link.ServerEvents, e => e.Event.Kind == TunnelEventKind.Connected);
        var closed = Assert.Single(link.ServerEvents, e => e.Event.Kind == TunnelEventKind.Closed).Event;
        Assert.Equal(TunnelError.PeerRefused, closed.Error);
        Assert.Equal(expected, closed.PeerCheckFailure);
        // The operator's log line names the check and the peer.
        Assert.Contains(link.ServerLog.Lines, l => l.Contains($"check {expected} failed") && l.Contains("refused peer 127.0.0.1:50000"));
        // The refused side learns it from the TLS alert in the server's CONNECTION_CLOSE.
        var clientClosed = Assert.Single(link.ClientEvents, e => e.Kind == TunnelEventKind.Closed);
        Assert.Equal(TunnelError.HandshakeFailed, clientClosed.Error);
        Assert.Contains("the peer refused our certificate", clientClosed.Detail);
    }

    public static TheoryData<string, PeerCheckFailure> ServerCertificatesTheClientRefuses => new()
    {
        { nameof(TestPki.TransceiverFromOtherCa), PeerCheckFailure.UntrustedChain },
        { nameof(TestPki.ExpiredTransceiver), PeerCheckFailure.Expired },
        { nameof(TestPki.Relay), PeerCheckFailure.WrongRole },
    };

    [Theory]
    [MemberData(nameof(ServerCertificatesTheClientRefuses))]
    public void Client_RefusesBadServerCertificate(string certificate, PeerCheckFailure expected)
    {
        using var link = new VirtualLink(pki, serverCredentials: p =>
            TunnelCredentials.FromCertificate((System.Security.Cryptography.X509Certificates.X509Certificate2)typeof(TestPki).GetProperty(certificate)!.GetValue(p)!));
        link.RunUntil(() => link.Client.State == TunnelState.Closed && link.Server.Connections.Count == 0, TimeSpan.FromSeconds(5));

        var closed = Assert.Single(link.ClientEvents, e => e.Kind == TunnelEventKind.Closed);
        Assert.Equal(TunnelError.PeerRefused, closed.Error);
        Assert.Equal(expected, closed.PeerCheckFailure);
        Assert.DoesNotContain(link.ServerEvents, e => e.Event.Kind == TunnelEventKind.Connected);
        Assert.Contains(link.ClientLog.Lines, l => l.Contains($"check {expected} failed") && l.Contains("refused peer 127.0.0.1:4433"));
    }

    [Fact]
    public void Client_RefusesServerWithUnexpectedName()
    {
        using var link = new VirtualLink(pki, clientCheck: new PeerCheck(pki.Ca, NodeRole.Transceiver, ["gpu-2"]));
        link.RunUntil(() => link.Client.State == TunnelState.Closed, TimeSpan.FromSeconds(5));
        var closed = Assert.Single(link.ClientEvents, e => e.Kind == TunnelEventKind.Closed);
        Assert.Equal(PeerCheckFailure.WrongName, closed.PeerCheckFailure);
    }

    [Fact]
    public void WrongAlpn_IsRefused()
    {
        using var link = new VirtualLink(pki, clientAlpn: "h3");
        link.RunUntil(() => link.Client.State == TunnelState.Closed && link.Server.Connections.Count == 0, TimeSpan.FromSeconds(5));
        Assert.Equal(TunnelState.Closed, link.Client.State);
        Assert.DoesNotContain(link.ClientEvents, e => e.Kind == TunnelEventKind.Connected);
        Assert.DoesNotContain(link.ServerEvents, e => e.Event.Kind == TunnelEventKind.Connected);
        var closed = Assert.Single(link.ClientEvents, e => e.Kind == TunnelEventKind.Closed);
        Assert.Contains("no_application_protocol", closed.Detail);
    }
}
