using System.Net;
using System.Net.Sockets;
using EdgeVoice.Relay.Media;
using EdgeVoice.WebRtc;

namespace EdgeVoice.Relay.Tests.Media;

public sealed class UdpBatchSocketTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_batch_reports_each_datagram_with_its_own_length_and_source(bool ipv6)
    {
        using var relay = new UdpBatchSocket(new IPEndPoint(ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0), batchSize: 8);
        var family = ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        var loopback = ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        var peers = Enumerable.Range(0, 12).Select(_ =>
        {
            var peer = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
            peer.Bind(new IPEndPoint(loopback, 0));
            return peer;
        }).ToList();
        try
        {
            // A full batch, a partial one, then batches of other sizes: headers the kernel filled for one batch must
            // not leak into the next (lengths and sources come out right whatever the previous batch held).
            int next = 0;
            foreach (int count in new[] { 8, 3, 12, 1, 5 })
            {
                var sent = new List<(TransportAddress Source, int Length)>();
                for (int i = 0; i < count; i++, next++)
                {
                    var peer = peers[next % peers.Count];
                    int length = 20 + next * 7 % 300;
                    peer.SendTo(new byte[length], relay.LocalEndPoint);
                    sent.Add((TransportAddress.FromEndPoint((IPEndPoint)peer.LocalEndPoint!), length));
                }
                var received = new List<(TransportAddress Source, int Length)>();
                var deadline = DateTime.UtcNow.AddSeconds(5);
                while (received.Count < count && DateTime.UtcNow < deadline)
                {
                    int got = relay.Receive();
                    for (int i = 0; i < got; i++)
                    {
                        Assert.True(relay.TrySource(i, out var source));
                        received.Add((source, relay.Datagram(i).Length));
                    }
                    if (got == 0)
                        Thread.Sleep(1);
                }
                Assert.Equal(sent, received);
            }
            Assert.Equal(0, relay.Receive());
        }
        finally
        {
            foreach (var peer in peers)
                peer.Dispose();
        }
    }
}
