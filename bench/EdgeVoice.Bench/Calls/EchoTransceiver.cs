using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Media;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Bench.Calls;

/// <summary>
/// A transceiver that echoes every uplink frame back as downlink (what <c>edgevoice tunnel-echo</c> does), in the bench
/// process, with a cluster CA and certificates made for the run; <see cref="RelayYaml"/> points a relay's pool at it.
/// The relay under test then does its whole forwarding job (SRTP off, tunnel up, tunnel down, pacing, SRTP on).
/// </summary>
internal sealed class EchoTransceiver : IDisposable
{
    private readonly TunnelServer _server;
    private readonly string _directory;
    private readonly TunnelCredentials _credentials;

    private EchoTransceiver(TunnelServer server, string directory, TunnelCredentials credentials)
    {
        _server = server;
        _directory = directory;
        _credentials = credentials;
        _server.MediaReceived += (connection, bytes) =>
        {
            if (MediaFrame.TryParse(bytes, out var f, out _) && f.Direction == MediaDirection.Uplink)
                _server.TrySendMedia(connection, new MediaFrame(f.SessionId, MediaDirection.Downlink, f.Sequence, f.RtpTimestamp, f.Flags, f.Payload));
        };
        _server.Start();
    }

    /// <summary>The relay's <c>transceivers:</c> section for this echo node.</summary>
    public string RelayYaml => $"""
        transceivers:
          name: relay-1
          certificate: {Path.Combine(_directory, "relay-1.crt")}
          key: {Path.Combine(_directory, "relay-1.key")}
          ca: {Path.Combine(_directory, "ca.crt")}
          pool:
            - name: gpu-echo
              address: {_server.LocalEndPoint}
        """;

    public static EchoTransceiver Start(uint capacity)
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-bench-echo-").FullName;
        var now = DateTimeOffset.UtcNow;
        using var ca = ClusterPki.CreateCa("bench", now.AddDays(-1), now.AddDays(1));
        PkiFiles.WriteCertificate(Path.Combine(directory, "ca.crt"), ca, overwrite: true);
        using (var relay = ClusterPki.IssueNode(ca, new NodeIdentity(NodeRole.Relay, "relay-1"), now.AddDays(-1), now.AddDays(1)))
        {
            PkiFiles.WriteCertificate(Path.Combine(directory, "relay-1.crt"), relay, overwrite: true);
            PkiFiles.WritePrivateKey(Path.Combine(directory, "relay-1.key"), relay, overwrite: true);
        }
        using var certificate = ClusterPki.IssueNode(ca, new NodeIdentity(NodeRole.Transceiver, "gpu-echo"), now.AddDays(-1), now.AddDays(1));
        var options = new TunnelOptions
        {
            Credentials = TunnelCredentials.FromCertificate(certificate),
            Self = new NodeIdentity(NodeRole.Transceiver, "gpu-echo"),
            PeerCheck = new PeerCheck(X509Certificate2.CreateFromPem(ca.ExportCertificatePem()), NodeRole.Relay, ["relay-1"]),
            Capacity = capacity,
            ReceiveQueueFrames = 4096,
        };
        return new EchoTransceiver(new TunnelServer(options, TunnelServer.Bind(new IPEndPoint(IPAddress.Loopback, 0))), directory, options.Credentials);
    }

    /// <summary>Frames echoed and not, over the relay's connection (for the notes).</summary>
    public string Counters()
    {
        var c = _server.Connections.FirstOrDefault();
        return c is null ? "no connection" : $"received {c.MediaFramesReceived}, sent {c.MediaFramesSent}, not sent {c.MediaFramesNotSent}, dropped (queue full) {c.MediaFramesDroppedReceiveQueueFull}";
    }

    public void Dispose()
    {
        _server.Dispose();
        _credentials.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
