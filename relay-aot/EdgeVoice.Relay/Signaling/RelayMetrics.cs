using EdgeVoice.Relay.Media;
using EdgeVoice.Relay.Sessions;
using EdgeVoice.Relay.Transceivers;
using EdgeVoice.Tunnel.Metrics;

namespace EdgeVoice.Relay.Signaling;

/// <summary>
/// The relay's figures read at request time from where they live (session table, media-loop counters, transceiver
/// links): one source for <c>/v1/stats</c> (JSON) and <c>/metrics</c> (Prometheus text).
/// </summary>
internal sealed class RelayMetrics(SessionTable table, RelayCounters counters, TransceiverPool? pool)
{
    private const string Prefix = "edgevoice_relay_";

    public RelayStats Stats()
    {
        var c = counters;
        return new RelayStats(c.CallsConnected, c.DatagramsReceived, c.RtpReceived, c.RtpSent, c.RtcpReceived,
            c.StunForged, c.StunRejected, c.StunUnknownSession, c.StunMalformed, c.SrtpRejected, c.UnroutedDatagrams, c.DtlsFailed,
            pool?.Links.Select(l => new TransceiverStats(l.Name, l.Address.ToString(), l.IsConnected, l.Capacity, l.Load, l.QueueDepth, l.Attempts)).ToList(),
            pool is null ? null : new FailoverStats(pool.CallsMovedOnFailover, pool.CallsMovedOnDrain, pool.CallsMovedOnRefusal, pool.CallsEndedNoTransceiver,
                (long)pool.MoveGapTotal.TotalMilliseconds, (long)pool.MoveGapMax.TotalMilliseconds, (long)pool.MoveGapLast.TotalMilliseconds));
    }

    public string Exposition()
    {
        var c = counters;
        var text = new PrometheusText();
        int connecting = table.Connecting;
        text.Family(Prefix + "sessions", MetricType.Gauge, "Calls the relay holds, by phase (connecting: ICE/DTLS under way).")
            .Sample(connecting, new MetricLabel("state", "connecting"))
            .Sample(Math.Max(0, table.Count - connecting), new MetricLabel("state", "connected"));
        text.Family(Prefix + "session_limit", MetricType.Gauge, "limits.max_sessions: calls beyond it get 503.").Sample(table.Capacity);
        text.Family(Prefix + "handshakes_total", MetricType.Counter, "DTLS handshakes finished, by result.")
            .Sample(c.CallsConnected, new MetricLabel("result", "connected"))
            .Sample(c.DtlsFailed, new MetricLabel("result", "failed"));
        text.Family(Prefix + "datagrams_received_total", MetricType.Counter, "UDP datagrams read on the media port.").Sample(c.DatagramsReceived);
        text.Family(Prefix + "rtp_packets_total", MetricType.Counter, "RTP packets: in = authenticated from callers, out = protected and sent to callers.")
            .Sample(c.RtpReceived, new MetricLabel("direction", "in"))
            .Sample(c.RtpSent, new MetricLabel("direction", "out"));
        text.Family(Prefix + "rtcp_packets_received_total", MetricType.Counter, "Authenticated RTCP packets from callers.").Sample(c.RtcpReceived);

        long tunnelUnknownSession = 0, uplinkNotSent = 0;
        foreach (var link in pool?.Links ?? [])
        {
            tunnelUnknownSession += Interlocked.Read(ref link.MediaDropped);
            uplinkNotSent += link.UplinkNotSent;
        }
        text.Family(Prefix + "drops_total", MetricType.Counter, "Packets and frames dropped, by reason.")
            .Sample(c.StunMalformed, new MetricLabel("reason", "stun_malformed"))
            .Sample(c.StunForged, new MetricLabel("reason", "stun_forged_ufrag"))
            .Sample(c.StunRejected, new MetricLabel("reason", "stun_rejected"))
            .Sample(c.StunUnknownSession, new MetricLabel("reason", "stun_unknown_session"))
            .Sample(c.StunNotRequest, new MetricLabel("reason", "stun_not_request"))
            .Sample(c.UnroutedDatagrams, new MetricLabel("reason", "unrouted"))
            .Sample(c.UnknownKind, new MetricLabel("reason", "unknown_kind"))
            .Sample(c.DroppedBeforeKeys, new MetricLabel("reason", "before_keys"))
            .Sample(c.SrtpRejected, new MetricLabel("reason", "srtp_auth_failed"))
            .Sample(c.RtpMalformed, new MetricLabel("reason", "rtp_malformed"))
            .Sample(Interlocked.Read(ref c.FeedDropped), new MetricLabel("reason", "caller_feed_full"))
            .Sample(tunnelUnknownSession, new MetricLabel("reason", "tunnel_unknown_session"))
            .Sample(uplinkNotSent, new MetricLabel("reason", "tunnel_uplink_not_sent"));

        if (pool is null)
            return text.ToString();
        text.Family(Prefix + "calls_moved_total", MetricType.Counter, "Calls moved to another transceiver, by reason (failover: their transceiver was lost; drain: it handed them back; refused: it would not open them).")
            .Sample(pool.CallsMovedOnFailover, new MetricLabel("reason", "failover"))
            .Sample(pool.CallsMovedOnDrain, new MetricLabel("reason", "drain"))
            .Sample(pool.CallsMovedOnRefusal, new MetricLabel("reason", "refused"));
        text.Family(Prefix + "calls_ended_no_transceiver_total", MetricType.Counter, "Calls ended with the spoken notice: their transceiver was lost and none could take them.")
            .Sample(pool.CallsEndedNoTransceiver);
        text.Family(Prefix + "move_gap_seconds_total", MetricType.Counter, "Time moved calls spent without a transceiver, summed.").Sample(pool.MoveGapTotal.TotalSeconds);
        text.Family(Prefix + "move_gap_seconds_max", MetricType.Gauge, "The longest time a moved call spent without a transceiver.").Sample(pool.MoveGapMax.TotalSeconds);
        var links = pool.Links;
        var rtts = new (bool Known, double Seconds)[links.Count];
        for (int i = 0; i < links.Count; i++)
            rtts[i] = links[i].TryGetStats(out var stats) ? (true, stats.SmoothedRtt.TotalSeconds) : (false, 0);
        text.Family(Prefix + "transceiver_connected", MetricType.Gauge, "1 while the tunnel to the transceiver is up.");
        foreach (var l in links) text.Sample(l.IsConnected ? 1 : 0, Name(l));
        text.Family(Prefix + "transceiver_sessions", MetricType.Gauge, "Sessions on the transceiver as the relay sees it (its load report or the calls placed since).");
        foreach (var l in links) text.Sample(l.Load, Name(l));
        text.Family(Prefix + "transceiver_capacity", MetricType.Gauge, "Sessions the transceiver takes (its Hello and load reports).");
        foreach (var l in links) text.Sample(l.Capacity, Name(l));
        text.Family(Prefix + "transceiver_queue_depth", MetricType.Gauge, "Caller frames waiting on the transceiver at its last load report.");
        foreach (var l in links) text.Sample(l.QueueDepth, Name(l));
        text.Family(Prefix + "transceiver_accelerator_use_ratio", MetricType.Gauge, "How busy the transceiver's GPU (CPU without one) was at its last load report, 0 to 1.");
        foreach (var l in links) text.Sample(l.AcceleratorUsePermille / 1000.0, Name(l));
        text.Family(Prefix + "calls_placed_total", MetricType.Counter, "Calls placed on each transceiver.");
        foreach (var l in links) text.Sample(l.CallsPlaced, Name(l));
        text.Family(Prefix + "tunnel_dial_attempts_total", MetricType.Counter, "Tunnel dial attempts to each transceiver (each redial counts).");
        foreach (var l in links) text.Sample(l.Attempts, Name(l));
        text.Family(Prefix + "tunnel_rtt_seconds", MetricType.Gauge, "QUIC smoothed round-trip time of the tunnel (ngtcp2), while connected.");
        for (int i = 0; i < links.Count; i++)
            if (rtts[i].Known) text.Sample(rtts[i].Seconds, Name(links[i]));
        text.Family(Prefix + "tunnel_media_frames_total", MetricType.Counter, "Media frames on the live tunnel connection: up = to the transceiver, down = from it.");
        foreach (var l in links)
        {
            if (l.Connection is not { } connection) continue;
            text.Sample(connection.MediaFramesSent, Name(l), new MetricLabel("direction", "up"));
            text.Sample(connection.MediaFramesReceived, Name(l), new MetricLabel("direction", "down"));
        }
        return text.ToString();
    }

    private static MetricLabel Name(TransceiverLink link) => new("transceiver", link.Name);
}
