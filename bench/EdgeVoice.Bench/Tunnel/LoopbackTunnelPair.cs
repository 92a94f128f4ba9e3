using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Media;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Bench.Tunnel;

/// <summary>
/// A relay connection and a transceiver listener on two real loopback UDP sockets, driven by one
/// thread: what a benchmark times is the tunnel's CPU work plus the same syscalls a plain UDP pair makes.
/// </summary>
internal sealed class LoopbackTunnelPair : IDisposable
{
    private readonly Socket _clientSocket;
    private readonly Socket _serverSocket;
    private readonly SocketAddress _clientAddress;
    private readonly SocketAddress _serverAddress;
    private readonly SocketAddress _from;
    private readonly byte[] _buffer = new byte[2048];
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly TunnelCredentials _clientCredentials;
    private readonly TunnelCredentials _serverCredentials;

    public TunnelConnection Client { get; }
    public TunnelListener Server { get; }
    public TunnelConnection ServerConnection => Server.Connections[0];

    public LoopbackTunnelPair()
    {
        var now = DateTimeOffset.UtcNow;
        using var ca = ClusterPki.CreateCa("bench", now.AddDays(-1), now.AddDays(1));
        using var relay = ClusterPki.IssueNode(ca, new NodeIdentity(NodeRole.Relay, "relay-1"), now.AddDays(-1), now.AddDays(1));
        using var gpu = ClusterPki.IssueNode(ca, new NodeIdentity(NodeRole.Transceiver, "gpu-1"), now.AddDays(-1), now.AddDays(1));
        _clientCredentials = TunnelCredentials.FromCertificate(relay);
        _serverCredentials = TunnelCredentials.FromCertificate(gpu);

        _clientSocket = Bind();
        _serverSocket = Bind();
        _clientAddress = _clientSocket.LocalEndPoint!.Serialize();
        _serverAddress = _serverSocket.LocalEndPoint!.Serialize();
        _from = new SocketAddress(AddressFamily.InterNetwork);

        Server = new TunnelListener(new TunnelOptions
        {
            Credentials = _serverCredentials,
            Self = new NodeIdentity(NodeRole.Transceiver, "gpu-1"),
            PeerCheck = new PeerCheck(ca, NodeRole.Relay, ["relay-1"]),
            Capacity = 64,
            ReceiveQueueFrames = 8192,
        }, _serverAddress);
        Client = TunnelConnection.Connect(new TunnelOptions
        {
            Credentials = _clientCredentials,
            Self = new NodeIdentity(NodeRole.Relay, "relay-1"),
            PeerCheck = new PeerCheck(ca, NodeRole.Transceiver, ["gpu-1"]),
            ReceiveQueueFrames = 8192,
        }, _clientAddress, _serverAddress, Now);

        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
        while (!(Client.State == TunnelState.Connected && Server.Connections.Count == 1 && ServerConnection.State == TunnelState.Connected))
        {
            if (Stopwatch.GetTimestamp() > deadline)
                throw new InvalidOperationException("benchmark tunnel did not connect");
            Pump();
        }
        while (Client.TryPollEvent(out _)) { }
        while (Server.TryPollEvent(out _, out _)) { }
    }

    public TimeSpan Now => Stopwatch.GetElapsedTime(_start);

    private static Socket Bind()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        s.ReceiveBufferSize = 4 << 20;
        s.SendBufferSize = 4 << 20;
        return s;
    }

    /// <summary>Client → server: everything the client has to send.</summary>
    public int FlushClient()
    {
        int n = 0;
        var now = Now;
        while (Client.TryPollTransmit(_buffer, now, out int length))
        {
            _clientSocket.SendTo(_buffer.AsSpan(0, length), SocketFlags.None, _serverAddress);
            n++;
        }
        return n;
    }

    /// <summary>Server socket → listener: every datagram waiting; blocks for the first when <paramref name="wait"/>.</summary>
    public int ReceiveServer(bool wait)
    {
        int n = 0;
        while (wait && n == 0 || _serverSocket.Available > 0)
        {
            int length = _serverSocket.ReceiveFrom(_buffer, SocketFlags.None, _from);
            Server.HandleInput(_buffer.AsSpan(0, length), _from, Now);
            n++;
        }
        return n;
    }

    /// <summary>One round of everything both ways (ACKs, timers), without blocking.</summary>
    public void Pump()
    {
        FlushClient();
        ReceiveServer(wait: false);
        var now = Now;
        while (Server.TryPollTransmit(_buffer, now, out int length, out var remote))
            _serverSocket.SendTo(_buffer.AsSpan(0, length), SocketFlags.None, remote);
        while (_clientSocket.Available > 0)
        {
            int length = _clientSocket.ReceiveFrom(_buffer, SocketFlags.None, _from);
            Client.HandleInput(_buffer.AsSpan(0, length), Now);
        }
        now = Now;
        if (Client.NextTimeout is { } c && c <= now) Client.HandleTimeout(now);
        Server.HandleTimeout(now);
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        _clientSocket.Dispose();
        _serverSocket.Dispose();
        _clientCredentials.Dispose();
        _serverCredentials.Dispose();
    }
}

/// <summary>The baseline: two plain loopback UDP sockets, the same single-thread pattern.</summary>
internal sealed class PlainUdpPair : IDisposable
{
    private readonly Socket _a;
    private readonly Socket _b;
    private readonly SocketAddress _bAddress;
    private readonly SocketAddress _from = new(AddressFamily.InterNetwork);

    public PlainUdpPair()
    {
        _a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _b.ReceiveBufferSize = 4 << 20;
        _bAddress = _b.LocalEndPoint!.Serialize();
    }

    public void Send(ReadOnlySpan<byte> datagram) => _a.SendTo(datagram, SocketFlags.None, _bAddress);

    public int Receive(Span<byte> buffer) => _b.ReceiveFrom(buffer, SocketFlags.None, _from);

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
