using System.Net;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Tunnel.Tests;

/// <summary>Collects log lines so tests can check what an operator would read.</summary>
public sealed class ListLogger : ILogger
{
    public List<string> Lines { get; } = [];
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Lines)
            Lines.Add($"{logLevel}: {formatter(state, exception)}");
    }
}

/// <summary>
/// A relay connection and a transceiver listener joined without sockets, on a virtual clock:
/// each step hands every pending packet across (optionally dropping some) and advances time 1 ms,
/// jumping to the next timer when the link is quiet.
/// </summary>
public sealed class VirtualLink : IDisposable
{
    public static readonly SocketAddress ClientAddress = new IPEndPoint(IPAddress.Loopback, 50000).Serialize();
    public static readonly SocketAddress ServerAddress = new IPEndPoint(IPAddress.Loopback, 4433).Serialize();

    private readonly byte[] _buffer = new byte[2048];
    private readonly Random _rng = new(11);

    public TunnelConnection Client { get; private set; }
    public TunnelListener Server { get; }
    public TimeSpan Now { get; private set; } = TimeSpan.FromSeconds(1);
    public double LossRate { get; set; }
    public bool Partitioned { get; set; }
    public List<TunnelEvent> ClientEvents { get; } = [];
    public List<(TunnelConnection Connection, TunnelEvent Event)> ServerEvents { get; } = [];
    public ListLogger ClientLog { get; } = new();
    public ListLogger ServerLog { get; } = new();
    public TunnelOptions ClientOptions { get; }
    public TunnelOptions ServerOptions { get; }

    public VirtualLink(TestPki pki, Func<TestPki, TunnelCredentials>? clientCredentials = null, Func<TestPki, TunnelCredentials>? serverCredentials = null,
        PeerCheck? clientCheck = null, PeerCheck? serverCheck = null, TimeSpan? idleTimeout = null, string clientAlpn = "edgevoice/1")
    {
        ClientOptions = new TunnelOptions
        {
            Credentials = clientCredentials?.Invoke(pki) ?? TunnelCredentials.FromCertificate(pki.Relay),
            Self = new NodeIdentity(NodeRole.Relay, "relay-1"),
            PeerCheck = clientCheck ?? pki.RelaySideCheck(),
            Logger = ClientLog,
            Alpn = clientAlpn,
            ReceiveQueueFrames = 8192, // a whole send queue can land in one step

            IdleTimeout = idleTimeout ?? TimeSpan.FromSeconds(15),
            KeepaliveInterval = (idleTimeout ?? TimeSpan.FromSeconds(15)) / 3,
        };
        ServerOptions = new TunnelOptions
        {
            Credentials = serverCredentials?.Invoke(pki) ?? TunnelCredentials.FromCertificate(pki.Transceiver),
            Self = new NodeIdentity(NodeRole.Transceiver, "gpu-1"),
            PeerCheck = serverCheck ?? pki.TransceiverSideCheck(),
            Capacity = 64,
            Logger = ServerLog,
            ReceiveQueueFrames = 8192,
            IdleTimeout = idleTimeout ?? TimeSpan.FromSeconds(15),
            KeepaliveInterval = (idleTimeout ?? TimeSpan.FromSeconds(15)) / 3,
        };
        Server = new TunnelListener(ServerOptions, ServerAddress);
        Client = TunnelConnection.Connect(ClientOptions, ClientAddress, ServerAddress, Now);
    }

    /// <summary>Moves packets both ways once; returns how many were delivered.</summary>
    public int Step()
    {
        int moved = 0;
        while (Client.TryPollTransmit(_buffer, Now, out int n))
        {
            if (!Drop()) { Server.HandleInput(_buffer.AsSpan(0, n), ClientAddress, Now); moved++; }
        }
        while (Server.TryPollTransmit(_buffer, Now, out int n, out _))
        {
            if (!Drop()) { Client.HandleInput(_buffer.AsSpan(0, n), Now); moved++; }
        }
        Drain();
        Now += TimeSpan.FromMilliseconds(1);
        if (moved == 0)
        {
            var next = Min(Client.NextTimeout, Server.NextTimeout);
            if (next is { } t && t > Now)
                Now = t;
        }
        if (Client.NextTimeout is { } ct && ct <= Now) Client.HandleTimeout(Now);
        if (Server.NextTimeout is { } st && st <= Now) Server.HandleTimeout(Now);
        Drain();
        return moved;
    }

    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Now + limit;
        while (Now < end)
        {
            if (done()) return true;
            Step();
        }
        return done();
    }

    public bool Connect() => RunUntil(() => Client.State == TunnelState.Connected && Server.Connections.Any(c => c.State == TunnelState.Connected), TimeSpan.FromSeconds(5));

    public TunnelConnection ServerConnection => Server.Connections.Single();

    /// <summary>Replaces the client connection (what the UDP driver does on reconnect).</summary>
    public void Redial()
    {
        Client.Dispose();
        Client = TunnelConnection.Connect(ClientOptions, ClientAddress, ServerAddress, Now);
    }

    private void Drain()
    {
        while (Client.TryPollEvent(out var e)) ClientEvents.Add(e);
        while (Server.TryPollEvent(out var c, out var e)) ServerEvents.Add((c, e));
    }

    private bool Drop() => Partitioned || (LossRate > 0 && _rng.NextDouble() < LossRate);

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
