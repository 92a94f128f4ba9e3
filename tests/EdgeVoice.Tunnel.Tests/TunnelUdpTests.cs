using System.Net;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Media;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Tunnel.Tests;

/// <summary>Things seen by another thread, with a bounded wait for a condition.</summary>
public sealed class Observed<T>
{
    private readonly List<T> _items = [];

    public void Add(T item)
    {
        lock (_items)
        {
            _items.Add(item);
            Monitor.PulseAll(_items);
        }
    }

    public List<T> Snapshot()
    {
        lock (_items) return [.. _items];
    }

    public bool WaitFor(Func<List<T>, bool> condition, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        lock (_items)
        {
            while (!condition(_items))
            {
                var left = end - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return false;
                Monitor.Wait(_items, left);
            }
            return true;
        }
    }
}

/// <summary>A transceiver that answers Ping with Pong and echoes media back as downlink.</summary>
public sealed class EchoTransceiver : IDisposable
{
    public TunnelServer Server { get; }
    public Observed<TunnelEvent> Events { get; } = new();
    public int MediaReceived;

    public EchoTransceiver(TunnelOptions options, System.Net.Sockets.Socket socket)
    {
        Server = new TunnelServer(options, socket);
        Server.EventReceived += (c, e) =>
        {
            Events.Add(e);
            if (e.Message is PingMessage ping)
                Server.SendControl(c, new PongMessage(ping.Nonce));
        };
        Server.MediaReceived += (c, bytes) =>
        {
            Interlocked.Increment(ref MediaReceived);
            if (MediaFrame.TryParse(bytes, out var f, out _))
                Server.TrySendMedia(c, new MediaFrame(f.SessionId, MediaDirection.Downlink, f.Sequence, f.RtpTimestamp, f.Flags, f.Payload));
        };
        Server.Start();
    }

    public void Dispose() => Server.Dispose();
}

/// <summary>Real sockets and real time (a few seconds each): filter with Category=Integration.</summary>
[Trait("Category", "Integration")]
public class TunnelUdpTests(TestPki pki) : IClassFixture<TestPki>
{
    private (TunnelOptions Client, TunnelOptions Server) Options(TimeSpan idle) => (
        new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(pki.Relay),
            Self = new NodeIdentity(NodeRole.Relay, "relay-1"),
            PeerCheck = pki.RelaySideCheck(),
            IdleTimeout = idle,
            KeepaliveInterval = idle / 4,
            HandshakeTimeout = TimeSpan.FromSeconds(2),
        },
        new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(pki.Transceiver),
            Self = new NodeIdentity(NodeRole.Transceiver, "gpu-1"),
            PeerCheck = pki.TransceiverSideCheck(),
            Capacity = 8,
            IdleTimeout = idle,
            KeepaliveInterval = idle / 4,
        });

    private static void SendFrames(TunnelClient client, uint from, int count)
    {
        byte[] payload = new byte[80];
        for (uint s = from; s < from + count; s++)
            client.TrySendMedia(new MediaFrame(1, MediaDirection.Uplink, s, s * 960, 0, payload));
    }

    [Fact]
    public void ServerRestart_ClientReconnects_TrafficResumes()
    {
        var (clientOptions, serverOptions) = Options(TimeSpan.FromSeconds(1));
        var first = new EchoTransceiver(serverOptions, TunnelServer.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
        int port = first.Server.LocalEndPoint.Port;
        var events = new Observed<TunnelEvent>();
        int echoed = 0;
        using var client = new TunnelClient(clientOptions, new IPEndPoint(IPAddress.Loopback, port), new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)));
        client.EventReceived += events.Add;
        client.MediaReceived += _ => Interlocked.Increment(ref echoed);
        client.Start();
        EchoTransceiver? second = null;
        try
        {
            Assert.True(events.WaitFor(l => l.Any(e => e.Kind == TunnelEventKind.Connected), TimeSpan.FromSeconds(5)), "first connect");
            Assert.True(client.SendControl(new PingMessage(1)));
            Assert.True(events.WaitFor(l => l.Any(e => e.Message is PongMessage { Nonce: 1 }), TimeSpan.FromSeconds(5)), "pong before restart");
            SendFrames(client, 0, 50);
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref echoed) >= 45, 5000), $"echoed {echoed} before restart");

            first.Dispose(); // the transceiver stops: it sends CONNECTION_CLOSE, so the client need not wait for the idle timeout
            second = new EchoTransceiver(serverOptions, TunnelServer.Bind(new IPEndPoint(IPAddress.Loopback, port)));

            Assert.True(events.WaitFor(l => l.Any(e => e.Kind == TunnelEventKind.Closed), TimeSpan.FromSeconds(5)), "client saw the disconnect");
            Assert.True(events.WaitFor(l => l.Any(e => e.Kind == TunnelEventKind.Reconnected), TimeSpan.FromSeconds(10)), "client reconnected");
            Assert.True(client.SendControl(new PingMessage(2)));
            Assert.True(events.WaitFor(l => l.Any(e => e.Message is PongMessage { Nonce: 2 }), TimeSpan.FromSeconds(5)), "pong after restart");
            int before = Volatile.Read(ref echoed);
            SendFrames(client, 1000, 50);
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref echoed) >= before + 45, 5000), "media after restart");
            Assert.Equal(1, client.Reconnects);
            Assert.Equal(TunnelError.ClosedByPeer, events.Snapshot().First(e => e.Kind == TunnelEventKind.Closed).Error);
        }
        finally
        {
            client.Dispose();
            first.Dispose();
            second?.Dispose();
        }
    }

    [NetnsFact]
    public void LossAndDelay_Netem_DatagramsFlow_ControlAllArrives_ConnectionSurvives()
    {
        using var net = new NetnsPair("loss 5% delay 20ms");
        RunLossyExchange(new IPEndPoint(net.AddressB, 4433),
            options => new EchoTransceiver(options, NetnsPair.UdpSocketIn(net.B, new IPEndPoint(net.AddressB, 4433))),
            () => NetnsPair.UdpSocketIn(net.A, new IPEndPoint(net.AddressA, 0)));
    }

    /// <summary>The namespace plumbing itself (veth, sockets placed by setns), without shaping.</summary>
    [NetnsFact(netem: false)]
    public void CleanVethBetweenNamespaces_Works()
    {
        using var net = new NetnsPair(null);
        RunLossyExchange(new IPEndPoint(net.AddressB, 4433),
            options => new EchoTransceiver(options, NetnsPair.UdpSocketIn(net.B, new IPEndPoint(net.AddressB, 4433))),
            () => NetnsPair.UdpSocketIn(net.A, new IPEndPoint(net.AddressA, 0)));
    }

    /// <summary>The same exchange through a user-space impairment (5 % loss, 20 ms delay each way), which runs everywhere.</summary>
    [Fact]
    public void LossAndDelay_UserSpace_DatagramsFlow_ControlAllArrives_ConnectionSurvives()
    {
        EchoTransceiver? transceiver = null;
        ImpairedUdpPath? path = null;
        try
        {
            RunLossyExchange(null, options =>
            {
                transceiver = new EchoTransceiver(options, TunnelServer.Bind(new IPEndPoint(IPAddress.Loopback, 0)));
                path = new ImpairedUdpPath(transceiver.Server.LocalEndPoint, 0.05, TimeSpan.FromMilliseconds(20));
                return transceiver;
            }, null, () => path!.EndPoint);
            Assert.True(path!.Dropped > 0, "the impairment dropped nothing");
        }
        finally
        {
            path?.Dispose();
        }
    }

    private void RunLossyExchange(IPEndPoint? server, Func<TunnelOptions, EchoTransceiver> startTransceiver, Func<System.Net.Sockets.Socket>? clientSocket,
        Func<IPEndPoint>? serverAfterStart = null)
    {
        var (clientOptions, serverOptions) = Options(TimeSpan.FromSeconds(5));
        using var transceiver = startTransceiver(serverOptions);
        var events = new Observed<TunnelEvent>();
        int echoed = 0;
        using var client = new TunnelClient(clientOptions, server ?? serverAfterStart!(), socketFactory: clientSocket);
        client.EventReceived += events.Add;
        client.MediaReceived += _ => Interlocked.Increment(ref echoed);
        client.Start();

        Assert.True(events.WaitFor(l => l.Any(e => e.Kind == TunnelEventKind.Connected), TimeSpan.FromSeconds(10)), "connect through the lossy path");
        const int Frames = 150; // 3 s of 20 ms frames, paced like real audio
        const int Pings = 50;
        for (int i = 0; i < Frames; i++)
        {
            SendFrames(client, (uint)i, 1);
            if (i % (Frames / Pings) == 0) Assert.True(client.SendControl(new PingMessage((ulong)i)));
            Thread.Sleep(20);
        }
        Assert.True(events.WaitFor(l => l.Count(e => e.Message is PongMessage) == Pings, TimeSpan.FromSeconds(10)),
            $"pongs: {events.Snapshot().Count(e => e.Message is PongMessage)} of {Pings}");
        Thread.Sleep(500);
        var pongs = events.Snapshot().Where(e => e.Message is PongMessage).Select(e => ((PongMessage)e.Message!).Nonce).ToList();
        Assert.Equal(Enumerable.Range(0, Pings).Select(i => (ulong)(i * (Frames / Pings))), pongs); // all, in order

        // Uplink then downlink each cross a 5 % lossy hop: expect roughly 90 % back, well above 70 %.
        int up = Volatile.Read(ref transceiver.MediaReceived), back = Volatile.Read(ref echoed);
        Assert.InRange(up, Frames * 8 / 10, Frames);
        Assert.InRange(back, Frames * 7 / 10, up);
        Assert.True(client.IsConnected, "connection survived");
        Assert.Equal(0, client.Reconnects);
        Assert.DoesNotContain(events.Snapshot(), e => e.Kind == TunnelEventKind.Closed);
    }
}
