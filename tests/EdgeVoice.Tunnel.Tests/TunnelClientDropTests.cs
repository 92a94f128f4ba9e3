using System.Net;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Tunnel.Tests;

/// <summary>The relay gives up on a transceiver its own pings find silent: <see cref="TunnelClient.Drop"/>, then it redials.</summary>
[Trait("Category", "Integration")]
public sealed class TunnelClientDropTests(TestPki pki) : IClassFixture<TestPki>
{
    [Fact]
    public void Drop_closes_at_once_delivers_closed_before_returning_and_the_client_dials_again()
    {
        using var transceiver = new EchoTransceiver(new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(pki.Transceiver),
            Self = new NodeIdentity(NodeRole.Transceiver, "gpu-1"),
            PeerCheck = pki.TransceiverSideCheck(),
            Capacity = 8,
        }, TunnelServer.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        var events = new Observed<TunnelEvent>();
        using var client = new TunnelClient(new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(pki.Relay),
            Self = new NodeIdentity(NodeRole.Relay, "relay-1"),
            PeerCheck = pki.RelaySideCheck(),
        }, transceiver.Server.LocalEndPoint, new ReconnectBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200)));
        client.EventReceived += events.Add;
        client.Start();
        Assert.True(events.WaitFor(l => l.Any(e => e.Kind == TunnelEventKind.Connected), TimeSpan.FromSeconds(5)), "connect");

        client.Drop("no answer from gpu-1 for 900 ms");
        var closed = Assert.Single(events.Snapshot(), e => e.Kind == TunnelEventKind.Closed);
        Assert.Equal(TunnelError.ClosedLocally, closed.Error);
        Assert.Contains("no answer from gpu-1", closed.Detail);
        client.Drop("again"); // nothing to drop between connections: no second Closed
        // The transceiver hears the CONNECTION_CLOSE (its idle timeout is 15 s), and the client is back.
        Assert.True(transceiver.Events.WaitFor(l => l.Any(e => e.Kind == TunnelEventKind.Closed && e.Error == TunnelError.ClosedByPeer), TimeSpan.FromSeconds(3)),
            "the transceiver did not see the close");
        Assert.True(events.WaitFor(l => l.Any(e => e.Kind == TunnelEventKind.Reconnected), TimeSpan.FromSeconds(5)), "reconnect");
        Assert.True(client.SendControl(new PingMessage(3)));
        Assert.True(events.WaitFor(l => l.Any(e => e.Message is PongMessage { Nonce: 3 }), TimeSpan.FromSeconds(5)), "pong after the redial");
        Assert.Single(events.Snapshot(), e => e.Kind == TunnelEventKind.Closed);
    }
}
