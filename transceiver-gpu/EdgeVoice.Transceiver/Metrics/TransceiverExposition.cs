using EdgeVoice.Transceiver.Serve;
using EdgeVoice.Tunnel.Metrics;

namespace EdgeVoice.Transceiver.Metrics;

/// <summary>The transceiver's <c>/metrics</c> text: sessions, frames, drops by reason, tunnel RTT per relay, pipeline latencies.</summary>
public static class TransceiverExposition
{
    private const string Prefix = "edgevoice_transceiver_";

    public static string Write(TunnelSessionServer server)
    {
        var text = new PrometheusText();
        text.Family(Prefix + "sessions", MetricType.Gauge, "Sessions with a running pipeline.").Sample(server.ActiveSessions);
        text.Family(Prefix + "session_capacity", MetricType.Gauge, "limits.max_sessions: sessions this node takes.").Sample(server.MaxSessions);
        text.Family(Prefix + "frames_total", MetricType.Counter, "Media frames: uplink = caller frames taken into a session, downlink = agent frames handed to the tunnel.")
            .Sample(server.UplinkReceived, new MetricLabel("direction", "uplink"))
            .Sample(server.DownlinkSent, new MetricLabel("direction", "downlink"));
        long malformed = server.UplinkMalformed, noSession = server.UplinkNoSession;
        text.Family(Prefix + "drops_total", MetricType.Counter, "Frames dropped, by reason.")
            .Sample(malformed, new MetricLabel("reason", "uplink_malformed"))
            .Sample(noSession, new MetricLabel("reason", "uplink_no_session"))
            .Sample(Math.Max(0, server.UplinkDropped - malformed - noSession), new MetricLabel("reason", "uplink_backlog_full"))
            .Sample(server.DownlinkNotSent, new MetricLabel("reason", "downlink_not_sent"));

        var relays = new List<(string Relay, double Rtt)>();
        foreach (var connection in server.Connections)
            if (server.TryGetStats(connection, out var stats))
                relays.Add((connection.Peer?.Name ?? "unknown", stats.SmoothedRtt.TotalSeconds));
        text.Family(Prefix + "relays_connected", MetricType.Gauge, "Relays with a live tunnel to this node.").Sample(relays.Count);
        text.Family(Prefix + "tunnel_rtt_seconds", MetricType.Gauge, "QUIC smoothed round-trip time of each relay's tunnel (ngtcp2).");
        // Two connections from one relay name (a redial overlapping the old one) would repeat a label set: keep the first.
        foreach (var (relay, rtt) in relays.DistinctBy(r => r.Relay))
            text.Sample(rtt, new MetricLabel("relay", relay));
        server.Metrics.WriteTo(text, Prefix);
        return text.ToString();
    }
}
