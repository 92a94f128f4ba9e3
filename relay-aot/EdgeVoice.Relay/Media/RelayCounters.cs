namespace EdgeVoice.Relay.Media;

/// <summary>Packet and call counters, written by the media loop only and read by the stats endpoint.</summary>
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
}
