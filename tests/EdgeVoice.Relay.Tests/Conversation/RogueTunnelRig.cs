using EdgeVoice.Relay.Tests.Support;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Serve;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;
using TunnelFrame = EdgeVoice.Tunnel.Media.MediaFrame;

namespace EdgeVoice.Relay.Tests.Conversation;

/// <summary>
/// The whole system on loopback with nodes that hold valid cluster certificates but misbehave: relay-1 (in-process) with
/// a pool of gpu-1 (a real transceiver <c>serve</c> host, embedded engines) and, optionally, gpu-2 (a rogue transceiver
/// that takes calls and sends whatever the test tells it); gpu-1 also admits relay-2, which a test can dial as a rogue
/// relay (<see cref="RogueRelay"/>). Every certificate comes from one CA made for the test.
/// </summary>
public sealed partial class RogueTunnelRig : IAsyncDisposable
{
    private readonly string _directory;
    private readonly X509Certificate2 _ca;
    private readonly ConcurrentQueue<string> _transceiverLog;

    private RogueTunnelRig(string directory, X509Certificate2 ca, TunnelSessionServer transceiver, ConcurrentQueue<string> log,
        RogueTransceiver? rogue, InProcessRelay relay)
    {
        _directory = directory;
        _ca = ca;
        Transceiver = transceiver;
        _transceiverLog = log;
        Rogue = rogue;
        Relay = relay;
    }

    public TunnelSessionServer Transceiver { get; }
    /// <summary>gpu-2, when started with one.</summary>
    public RogueTransceiver? Rogue { get; }
    public InProcessRelay Relay { get; }
    public IPEndPoint TransceiverEndPoint => Transceiver.LocalEndPoint;

    /// <param name="transceiverSessions">gpu-1's limits.max_sessions (and tunnel.capacity).</param>
    /// <param name="rogueCapacity">gpu-2's advertised capacity; null leaves gpu-2 out of the pool.</param>
    public static async Task<RogueTunnelRig> StartAsync(int transceiverSessions, uint? rogueCapacity = null)
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-rogue-").FullName;
        var ca = TestClusterPki.Create(directory, "relay-1", ["gpu-1"]);

        var log = new ConcurrentQueue<string>();
        int tunnelPort = FreePort.Udp();
        string yaml = Path.Combine(directory, "gpu-1.yaml");
        await File.WriteAllTextAsync(yaml, $"""
            asr:
              engine: pocketsphinx
              pocketsphinx:
                grammar: {ConversationRig.Grammar}
            limits:
              max_sessions: {transceiverSessions}
            tunnel:
              role: transceiver
              name: gpu-1
              certificate: gpu-1.crt
              key: gpu-1.key
              ca: ca.crt
              listen: 127.0.0.1:{tunnelPort}
              capacity: {transceiverSessions}
              idle_timeout: 3s
              keepalive: 1s
              peers:
                - name: relay-1
                - name: relay-2
            """);
        var config = TransceiverConfig.Load(yaml);
        var tunnel = ServeCommand.LoadTunnel(config, null);
        var transceiver = TunnelSessionServer.Start(config, tunnel.CreateOptions(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance),
            tunnel.Listen!, log.Enqueue, TimeSpan.FromMilliseconds(200));

        RogueTransceiver? rogue = null;
        InProcessRelay? relay = null;
        try
        {
            string pool = $"    - name: gpu-1\n      address: 127.0.0.1:{tunnelPort}\n";
            if (rogueCapacity is { } capacity)
            {
                rogue = RogueTransceiver.Start(ca, capacity);
                pool += $"    - name: gpu-2\n      address: {rogue.EndPoint}\n";
            }
            relay = await InProcessRelay.StartAsync(extraYaml: $"""
                transceivers:
                  name: relay-1
                  certificate: {Path.Combine(directory, "relay-1.crt")}
                  key: {Path.Combine(directory, "relay-1.key")}
                  ca: {Path.Combine(directory, "ca.crt")}
                  # A STUN flood shares the CPU with the in-process transceiver: no failover on a stall under it.
                  dead_after: 3s
                  pool:

                """ + pool);
            var rig = new RogueTunnelRig(directory, ca, transceiver, log, rogue, relay);
            if (!await InProcessRelay.EventuallyAsync(() => relay.Server.Transceivers.All(t => t.IsConnected && t.Capacity > 0), TimeSpan.FromSeconds(10)))
            {
                await rig.DisposeAsync();
                throw new InvalidOperationException("the relay's tunnels to the transceivers did not come up in 10 s");
            }
            return rig;
        }
        catch
        {
            if (relay is not null) await relay.DisposeAsync();
            rogue?.Dispose();
            await transceiver.DisposeAsync();
            ca.Dispose();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>The session id gpu-1 opened for a call, from its "session … opened trace_id=CALL" log line (waits up to 5 s for it).</summary>
    public async Task<ulong> TransceiverSessionOfAsync(string callLocation)
    {
        string callId = callLocation[(callLocation.LastIndexOf('/') + 1)..];
        ulong? found = null;
        await InProcessRelay.EventuallyAsync(() =>
        {
            foreach (string line in _transceiverLog)
            {
                var match = OpenedLine().Match(line);
                if (match.Success && match.Groups[2].Value == callId)
                    found = Convert.ToUInt64(match.Groups[1].Value, 16);
            }
            return found is not null;
        }, TimeSpan.FromSeconds(5));
        return found ?? throw new InvalidOperationException($"gpu-1 logged no open for call {callId}: {string.Join(" | ", _transceiverLog)}");
    }

    /// <summary>Sessions gpu-1 has opened since it started.</summary>
    public int TransceiverSessionsOpened => _transceiverLog.Count(l => OpenedLine().IsMatch(l));

    /// <summary>Dials gpu-1 as relay-2: a relay of the cluster that gpu-1 admits, but that opened none of its sessions.</summary>
    public Task<RogueRelay> DialAsRogueRelayAsync()
    {
        var now = DateTimeOffset.UtcNow;
        using var certificate = ClusterPki.IssueNode(_ca, new NodeIdentity(NodeRole.Relay, "relay-2"), now.AddDays(-1), now.AddDays(30));
        return RogueRelay.ConnectAsync(new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(certificate),
            Self = new NodeIdentity(NodeRole.Relay, "relay-2"),
            PeerCheck = new PeerCheck(_ca, NodeRole.Transceiver, ["gpu-1"]),
        }, TransceiverEndPoint);
    }

    public async ValueTask DisposeAsync()
    {
        await Relay.DisposeAsync();
        Rogue?.Dispose();
        await Transceiver.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [GeneratedRegex(@"^session ([0-9a-f]{16}) opened trace_id=([^ ]+) ")]
    private static partial Regex OpenedLine();
}

/// <summary>gpu-2: a transceiver with a valid certificate that takes sessions and sends the relay whatever frames the test asks.</summary>
public sealed class RogueTransceiver : IDisposable
{
    private readonly TunnelServer _server;
    private readonly TunnelCredentials _credentials;
    private readonly ConcurrentQueue<(TunnelConnection Connection, SessionOpenMessage Open)> _opens = new();

    private RogueTransceiver(TunnelServer server, TunnelCredentials credentials)
    {
        _server = server;
        _credentials = credentials;
        _server.EventReceived += (connection, e) =>
        {
            if (e.Message is SessionOpenMessage open)
            {
                _opens.Enqueue((connection, open));
                if (RefuseSessions)
                    _server.SendControl(connection, new SessionCloseMessage(open.SessionId, SessionCloseReason.Overloaded, "test: refused"));
            }
            // Alive to the relay's liveness pings like a real transceiver, or its tunnel is dropped within a second.
            if (e.Message is PingMessage ping)
                _server.SendControl(connection, new PongMessage(ping.Nonce));
        };
    }

    /// <summary>Answer every SessionOpen with SessionClose(Overloaded), as a transceiver that filled up since its last report.</summary>
    public volatile bool RefuseSessions;

    public IPEndPoint EndPoint => _server.LocalEndPoint;
    /// <summary>The SessionOpen messages relay-1 sent this node.</summary>
    public IReadOnlyList<SessionOpenMessage> Opens => _opens.Select(o => o.Open).ToList();

    public static RogueTransceiver Start(X509Certificate2 ca, uint capacity)
    {
        var now = DateTimeOffset.UtcNow;
        using var certificate = ClusterPki.IssueNode(ca, new NodeIdentity(NodeRole.Transceiver, "gpu-2"), now.AddDays(-1), now.AddDays(30));
        var options = new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(certificate),
            Self = new NodeIdentity(NodeRole.Transceiver, "gpu-2"),
            PeerCheck = new PeerCheck(ca, NodeRole.Relay, ["relay-1"]),
            Capacity = capacity,
        };
        var rogue = new RogueTransceiver(new TunnelServer(options, TunnelServer.Bind(new IPEndPoint(IPAddress.Loopback, 0))), options.Credentials);
        rogue._server.Start();
        return rogue;
    }

    /// <summary>Sends a load report to relay-1 on every connection; false when none is up.</summary>
    public bool SendLoadReport(LoadReportMessage report)
    {
        bool sent = false;
        foreach (var connection in _server.Connections.Where(c => c.State == TunnelState.Connected))
        {
            _server.SendControl(connection, report);
            sent = true;
        }
        return sent;
    }

    /// <summary>Sends a downlink frame to relay-1 on the connection its sessions came on; false when it could not be queued.</summary>
    public bool SendDownlink(ulong sessionId, uint sequence, ReadOnlySpan<byte> payload,
        EdgeVoice.Tunnel.Media.MediaDirection direction = EdgeVoice.Tunnel.Media.MediaDirection.Downlink)
    {
        var connection = _server.Connections.FirstOrDefault(c => c.State == TunnelState.Connected);
        return connection is not null && _server.TrySendMedia(connection,
            new TunnelFrame(sessionId, direction, sequence, sequence * 960, EdgeVoice.Tunnel.Media.MediaFrameFlags.None, payload));
    }

    public void Dispose()
    {
        _server.Dispose();
        _credentials.Dispose();
    }
}

/// <summary>
/// A relay-side tunnel peer driven by the test: one connection (no redial), its own thread around the sans-IO
/// <see cref="TunnelConnection"/>, and sends of well-formed or raw bytes as a broken or hostile relay would.
/// </summary>
public sealed class RogueRelay : IDisposable
{
    private readonly Socket _socket;
    private readonly TunnelConnection _connection;
    private readonly TunnelCredentials _credentials;
    private readonly Lock _gate = new();
    private readonly Thread _thread;
    private readonly ConcurrentQueue<TunnelEvent> _events = new();
    private readonly long _start = Stopwatch.GetTimestamp();
    private volatile bool _stopping;

    private RogueRelay(Socket socket, TunnelConnection connection, TunnelCredentials credentials)
    {
        _socket = socket;
        _connection = connection;
        _credentials = credentials;
        _thread = new Thread(Run) { IsBackground = true, Name = "rogue-relay" };
    }

    public IReadOnlyList<TunnelEvent> Events => _events.ToList();
    public TunnelState State { get { lock (_gate) return _connection.State; } }

    public static async Task<RogueRelay> ConnectAsync(TunnelOptions options, IPEndPoint transceiver)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Connect(transceiver);
        var connection = TunnelConnection.Connect(options, socket.LocalEndPoint!.Serialize(), transceiver.Serialize(), TimeSpan.Zero);
        var rogue = new RogueRelay(socket, connection, options.Credentials);
        rogue._thread.Start();
        if (!await InProcessRelay.EventuallyAsync(() => rogue.State == TunnelState.Connected, TimeSpan.FromSeconds(10)))
        {
            string why = string.Join("; ", rogue.Events.Select(e => $"{e.Kind} {e.Error} {e.Detail}"));
            rogue.Dispose();
            throw new InvalidOperationException($"relay-2 did not connect to gpu-1: {why}");
        }
        return rogue;
    }

    public bool SendUplink(ulong sessionId, uint sequence, ReadOnlySpan<byte> payload,
        EdgeVoice.Tunnel.Media.MediaDirection direction = EdgeVoice.Tunnel.Media.MediaDirection.Uplink)
    {
        lock (_gate)
            return _connection.TrySendMedia(new TunnelFrame(sessionId, direction, sequence, sequence * 960, EdgeVoice.Tunnel.Media.MediaFrameFlags.None, payload));
    }

    public void SendControl(ControlMessage message)
    {
        lock (_gate)
            _connection.SendControl(message);
    }

    /// <summary>Bytes as one QUIC DATAGRAM, whatever they are.</summary>
    public void SendRawDatagram(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
            SendRawDatagramForTest(_connection, bytes);
    }

    /// <summary>Bytes on the control stream, whatever they are.</summary>
    public void SendRawControl(ReadOnlySpan<byte> bytes)
    {
        lock (_gate)
            SendRawControlForTest(_connection, bytes);
    }

    // The tunnel library's hooks for a broken peer are internal to it (and its own tests); this rig reaches them directly.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "SendRawDatagramForTest")]
    private static extern void SendRawDatagramForTest(TunnelConnection connection, ReadOnlySpan<byte> bytes);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "SendRawControlForTest")]
    private static extern void SendRawControlForTest(TunnelConnection connection, ReadOnlySpan<byte> bytes);

    private TimeSpan Now => Stopwatch.GetElapsedTime(_start);

    private void Run()
    {
        byte[] buffer = new byte[2048];
        byte[] send = new byte[2048];
        byte[] media = new byte[2048];
        while (!_stopping)
        {
            TimeSpan? next;
            lock (_gate) next = _connection.NextTimeout;
            if (next is null)
                return; // closed
            bool readable = _socket.Poll((int)Math.Clamp((next.Value - Now).TotalMicroseconds, 0, 5_000), SelectMode.SelectRead);
            lock (_gate)
            {
                while (readable && _socket.Available > 0)
                {
                    int n;
                    try { n = _socket.Receive(buffer); }
                    catch (SocketException) { break; }
                    _connection.HandleInput(buffer.AsSpan(0, n), Now);
                }
                if (_connection.NextTimeout is { } t && t <= Now)
                    _connection.HandleTimeout(Now);
                while (_connection.TryPollEvent(out var e))
                    _events.Enqueue(e);
                while (_connection.TryReceiveMedia(media, out _)) { }
                while (_connection.TryPollTransmit(send, Now, out int length))
                {
                    try { _socket.Send(send.AsSpan(0, length)); }
                    catch (SocketException) { }
                }
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_thread.IsAlive)
            _thread.Join();
        _connection.Dispose();
        _socket.Dispose();
        _credentials.Dispose();
    }
}
