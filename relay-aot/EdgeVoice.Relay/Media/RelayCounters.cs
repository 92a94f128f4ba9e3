namespace EdgeVoice.Relay.Media;

/// <summary>Packet and call counters, written by the media loop only (but <see cref="FeedDropped"/>) and read by the stats endpoints.</summary>
internal sealed class RelayCounters
{
    public long DatagramsReceived;
    public long StunMalformed;
    public long StunForged;
    /// <summary>A valid token but a check that fails authentication (wrong MESSAGE-INTEGRITY, username or no FINGERPRINT).</summary>
    public long StunRejected;
    public long StunUnknownSession;
    public long StunNotRequest;
    public long UnroutedDatagrams;
    public long UnknownKind;
    public long DroppedBeforeKeys;
    public long SrtpRejected;
    public long RtpMalformed;
    public long RtpReceived;
    public long RtpSent;
    public long RtcpReceived;
    public long CallsConnected;
    public long DtlsFailed;
    /// <summary>Frames for callers dropped because a call's feed was full; written from tunnel threads, so Interlocked.</summary>
    public long FeedDropped;

    public void CountFeedDrop() => Interlocked.Increment(ref FeedDropped);
}
