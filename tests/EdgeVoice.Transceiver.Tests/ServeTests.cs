using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using EdgeVoice.Testing;
using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Serve;
using EdgeVoice.Tunnel.Config;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;
using TunnelFrame = EdgeVoice.Tunnel.Media.MediaFrame;
using MediaDirection = EdgeVoice.Tunnel.Media.MediaDirection;
using MediaFrameFlags = EdgeVoice.Tunnel.Media.MediaFrameFlags;

namespace EdgeVoice.Transceiver.Tests;

/// <summary>The transceiver's serve mode seen from a relay's side of the tunnel (no relay, a bare tunnel client).</summary>
public sealed class ServeTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _ca = ClusterPki.CreateCa("test", Now.AddDays(-1), Now.AddDays(30));
    private TunnelSessionServer _server = null!;
    private TunnelClient _relay = null!;
    private readonly ConcurrentQueue<ControlMessage> _messages = new();

    public Task InitializeAsync()
    {
        var transceiver = ClusterPki.IssueNode(_ca, new NodeIdentity(NodeRole.Transceiver, "gpu-1"), Now.AddDays(-1), Now.AddDays(30));
        var relay = ClusterPki.IssueNode(_ca, new NodeIdentity(NodeRole.Relay, "relay-1"), Now.AddDays(-1), Now.AddDays(30));
        var config = TransceiverConfig.Parse("serve.yaml", "limits:\n  max_sessions: 1\n");
        _server = TunnelSessionServer.Start(config, new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(transceiver),
            Self = new NodeIdentity(NodeRole.Transceiver, "gpu-1"),
            PeerCheck = new PeerCheck(_ca, NodeRole.Relay, ["relay-1"]),
            Capacity = 1,
        }, new IPEndPoint(IPAddress.Loopback, 0), _ => { }, TimeSpan.FromMilliseconds(100));
        _relay = new TunnelClient(new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(relay),
            Self = new NodeIdentity(NodeRole.Relay, "relay-1"),
            PeerCheck = new PeerCheck(_ca, NodeRole.Transceiver, ["gpu-1"]),
        }, _server.LocalEndPoint);
        _relay.EventReceived += e => { if (e.Message is { } m) _messages.Enqueue(m); };
        _relay.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _relay.Dispose();
        await _server.DisposeAsync();
        _ca.Dispose();
    }

    private static SessionOpenMessage Open(ulong id, string codec = "opus") => new(id, codec, 48_000, 1, 20, [new("trace_id", $"call-{id}")]);

    private async Task<T> WaitFor<T>(Func<T, bool> match) where T : ControlMessage
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10))
        {
            if (_messages.OfType<T>().FirstOrDefault(match) is { } found) return found;
            await Task.Delay(10);
        }
        throw new TimeoutException($"no {typeof(T).Name} matching in 10 s; got {string.Join(", ", _messages)}");
    }

    private async Task Connected()
    {
        var started = Stopwatch.GetTimestamp();
        while (!_relay.IsConnected && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10)) await Task.Delay(10);
        Assert.True(_relay.IsConnected);
    }

    [Fact]
    public async Task Sessions_beyond_max_sessions_and_unknown_codecs_are_refused_and_load_is_reported()
    {
        await Connected();
        await WaitFor<LoadReportMessage>(r => r.Sessions == 0 && r.Capacity == 1);
        Assert.True(_relay.SendControl(Open(1)));
        await WaitFor<LoadReportMessage>(r => r.Sessions == 1);
        Assert.True(_relay.SendControl(Open(2)));
        var refused = await WaitFor<SessionCloseMessage>(c => c.SessionId == 2);
        Assert.Equal(SessionCloseReason.Overloaded, refused.Reason);
        Assert.Contains("limits.max_sessions", refused.Detail);

        Assert.True(_relay.SendControl(new SessionCloseMessage(1, SessionCloseReason.Normal, "hung up")));
        await WaitFor<LoadReportMessage>(r => r.Sessions == 0 && _server.ActiveSessions == 0);
        Assert.True(_relay.SendControl(Open(3, codec: "pcmu")));
        var wrongCodec = await WaitFor<SessionCloseMessage>(c => c.SessionId == 3);
        Assert.Equal(SessionCloseReason.Error, wrongCodec.Reason);
        Assert.Equal(0, _server.ActiveSessions);
    }

    [Fact]
    public async Task Malformed_and_unknown_media_is_dropped_and_counted_and_the_session_goes_on()
    {
        await Connected();
        Assert.True(_relay.SendControl(Open(5)));
        await WaitFor<LoadReportMessage>(r => r.Sessions == 1);
        var random = new Random(42);
        var payload = new byte[120];
        for (int i = 0; i < 200; i++)
        {
            random.NextBytes(payload);
            // Random Opus payloads for the open session, and frames for a session nobody opened.
            _relay.TrySendMedia(new TunnelFrame(i % 2 == 0 ? 5ul : 6ul, MediaDirection.Uplink, (uint)i, (uint)(i * 960), MediaFrameFlags.None, payload));
        }
        var started = Stopwatch.GetTimestamp();
        while (_server.UplinkDropped < 100 && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5)) await Task.Delay(10);
        Assert.Equal(100, _server.UplinkDropped);
        Assert.Equal(1, _server.ActiveSessions);

        // The same figures on /metrics: the drops under their reason, the garbled Opus frames taken in, the relay's RTT.
        Assert.Equal(100, _server.UplinkNoSession);
        var samples = ExpositionParser.Parse(EdgeVoice.Transceiver.Metrics.TransceiverExposition.Write(_server));
        Assert.Equal(100, samples.Value("edgevoice_transceiver_drops_total", ("reason", "uplink_no_session")));
        Assert.Equal(0, samples.Value("edgevoice_transceiver_drops_total", ("reason", "uplink_malformed")));
        Assert.Equal(100, samples.Value("edgevoice_transceiver_frames_total", ("direction", "uplink")));
        Assert.Equal(1, samples.Value("edgevoice_transceiver_sessions"));
        Assert.Equal(1, samples.Value("edgevoice_transceiver_relays_connected"));
        Assert.InRange(samples.Value("edgevoice_transceiver_tunnel_rtt_seconds", ("relay", "relay-1")), 1e-7, 1.0);
    }

    [Fact]
    public void Serve_refuses_a_tunnel_capacity_that_differs_from_max_sessions()
    {
        string dir = Directory.CreateTempSubdirectory("edgevoice-serve-").FullName;
        try
        {
            foreach (var f in new[] { "gpu-1.crt", "gpu-1.key", "ca.crt" }) File.WriteAllText(Path.Combine(dir, f), "PEM");
            string path = Path.Combine(dir, "transceiver.yaml");
            File.WriteAllText(path, "limits:\n  max_sessions: 4\ntunnel:\n  role: transceiver\n  name: gpu-1\n  certificate: gpu-1.crt\n  key: gpu-1.key\n  ca: ca.crt\n  capacity: 8\n  peers:\n    - name: relay-1\n");
            var config = TransceiverConfig.Load(path);
            var error = Assert.Throws<TunnelConfigException>(() => ServeCommand.LoadTunnel(config, null));
            Assert.Contains("tunnel.capacity (8) differs from limits.max_sessions (4)", error.Message);
            File.WriteAllText(path, "limits:\n  max_sessions: 4\n");
            error = Assert.Throws<TunnelConfigException>(() => ServeCommand.LoadTunnel(TransceiverConfig.Load(path), null));
            Assert.Contains("tunnel", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary><c>serve</c>'s metrics listener: served from metrics.listen; a configured address that is taken stops start-up, the default only warns.</summary>
public sealed class ServeMetricsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgevoice-serve-metrics-").FullName;

    public ServeMetricsTests()
    {
        var now = DateTimeOffset.UtcNow;
        using var ca = ClusterPki.CreateCa("test", now.AddDays(-1), now.AddDays(30));
        using var node = ClusterPki.IssueNode(ca, new NodeIdentity(NodeRole.Transceiver, "gpu-1"), now.AddDays(-1), now.AddDays(30));
        PkiFiles.WriteCertificate(Path.Combine(_dir, "ca.crt"), ca, overwrite: true);
        PkiFiles.WriteCertificate(Path.Combine(_dir, "gpu-1.crt"), node, overwrite: true);
        PkiFiles.WritePrivateKey(Path.Combine(_dir, "gpu-1.key"), node, overwrite: true);
    }

    private (TransceiverConfig, TunnelConfig) Load(string metrics)
    {
        string path = Path.Combine(_dir, "transceiver.yaml");
        File.WriteAllText(path, $"limits:\n  max_sessions: 1\n{metrics}tunnel:\n  role: transceiver\n  name: gpu-1\n  certificate: gpu-1.crt\n  key: gpu-1.key\n  ca: ca.crt\n  listen: 127.0.0.1:{FreePort.Udp()}\n  capacity: 1\n  peers:\n    - name: relay-1\n");
        var config = TransceiverConfig.Load(path);
        return (config, ServeCommand.LoadTunnel(config, null));
    }

    [Fact]
    public async Task Serve_answers_scrapes_on_the_configured_address()
    {
        int port = FreePort.Tcp();
        var (config, tunnel) = Load($"metrics:\n  listen: 127.0.0.1:{port}\n");
        var service = new TransceiverService(config, tunnel, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await service.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var samples = ExpositionParser.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
            Assert.Equal(1, samples.Value("edgevoice_transceiver_session_capacity"));
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_configured_address_that_is_taken_stops_start_up_and_the_default_only_warns()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var address = (IPEndPoint)taken.LocalEndpoint;
        var (config, tunnel) = Load($"metrics:\n  listen: {address}\n");
        var service = new TransceiverService(config, tunnel, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => service.StartAsync(CancellationToken.None));
        Assert.Equal("metrics.listen", error.Field);
        Assert.Contains($"cannot listen on {address}", error.Message);

        // The same address as the default (not written in the file): serve starts without /metrics.
        var fallback = new TransceiverService(config with { Metrics = new MetricsConfig(address, Explicit: false) }, tunnel,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await fallback.StartAsync(CancellationToken.None);
        await fallback.StopAsync(CancellationToken.None);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
