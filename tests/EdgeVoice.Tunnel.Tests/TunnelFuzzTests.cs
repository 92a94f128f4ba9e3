using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Tunnel.Tests;

/// <summary>Garbage and mangled packets into both ends: dropped or closed, never a crash.</summary>
public class TunnelFuzzTests(TestPki pki) : IClassFixture<TestPki>
{
    [Fact]
    public void RandomDatagrams_IntoListener_AreDropped()
    {
        using var link = new VirtualLink(pki);
        var rng = new Random(21);
        var buf = new byte[1500];
        for (int i = 0; i < 3000; i++)
        {
            int len = rng.Next(0, buf.Length);
            rng.NextBytes(buf.AsSpan(0, len));
            if (i % 3 == 0 && len > 0) buf[0] = (byte)(0xC0 | (buf[0] & 0x0F)); // long header, to reach ngtcp2_accept
            if (i % 3 == 1 && len > 5) { buf[0] = 0xC0; buf[1] = 0; buf[2] = 0; buf[3] = 0; buf[4] = 1; } // QUIC v1 Initial-ish
            link.Server.HandleInput(buf.AsSpan(0, len), VirtualLink.ClientAddress, link.Now);
            link.Client.HandleInput(buf.AsSpan(0, len), link.Now); // a client mid-handshake, too
        }
        // Whatever was accepted must not have become a connection that talks.
        Assert.DoesNotContain(link.Server.Connections, c => c.State == TunnelState.Connected);
        Assert.True(link.Server.DatagramsDropped > 1000);
        // The client shrugged it all off: it still completes its handshake.
        Assert.NotEqual(TunnelState.Closed, link.Client.State);
        Assert.True(link.Connect());
    }

    [Fact]
    public void MangledPackets_BetweenConnectedPeers_NeverCrash()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        var rng = new Random(22);
        var buf = new byte[2048];
        for (int i = 0; i < 2000; i++)
        {
            link.Client.SendControl(new EdgeVoice.Tunnel.Control.PingMessage((ulong)i));
            if (!link.Client.TryPollTransmit(buf, link.Now, out int n))
                continue;
            // Flip bits, truncate or extend: AEAD must reject every change, silently.
            var packet = buf.AsSpan(0, n);
            switch (i % 3)
            {
                case 0: packet[rng.Next(n)] ^= (byte)(1 << rng.Next(8)); break;
                case 1: packet = packet[..rng.Next(n)]; break;
                case 2: rng.NextBytes(packet[Math.Min(n - 1, 1 + 16)..]); break;
            }
            link.Server.HandleInput(packet, VirtualLink.ClientAddress, link.Now);
            link.Client.HandleInput(packet, link.Now);
        }
        Assert.Equal(TunnelState.Connected, link.Client.State);
        Assert.Equal(TunnelState.Connected, link.ServerConnection.State);
        // The pings whose packets were mangled are retransmitted; all arrive.
        link.RunUntil(() => link.ServerEvents.Count(e => e.Event.Kind == TunnelEventKind.Message) == 2000, TimeSpan.FromSeconds(30));
        Assert.Equal(2000, link.ServerEvents.Count(e => e.Event.Kind == TunnelEventKind.Message));
    }
}

public class TunnelReceiveQueueTests(TestPki pki) : IClassFixture<TestPki>
{
    [Fact]
    public void SlowApplication_OverflowIsCountedAsLoss()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        byte[] payload = new byte[100];
        uint sent = 0;
        // 10,000 frames; the transceiver application never reads, so its 8,192-frame queue overflows.
        while (sent < 10_000)
        {
            while (sent < 10_000 && link.Client.TrySendMedia(new EdgeVoice.Tunnel.Media.MediaFrame(9, EdgeVoice.Tunnel.Media.MediaDirection.Uplink, sent, 0, 0, payload))) sent++;
            link.Step();
        }
        for (int i = 0; i < 200; i++) link.Step();
        var server = link.ServerConnection;
        var loss = server.LossCounter(9, EdgeVoice.Tunnel.Media.MediaDirection.Uplink)!;
        Assert.Equal(8192, server.ReceivedMediaPending);
        Assert.Equal(10_000 - 8192, server.MediaFramesDroppedReceiveQueueFull);
        Assert.Equal(8192, loss.Received);
        Assert.Equal(TunnelState.Connected, server.State);
    }
}
