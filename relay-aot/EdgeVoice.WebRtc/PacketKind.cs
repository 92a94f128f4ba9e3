namespace EdgeVoice.WebRtc;

/// <summary>What a datagram on the shared media port carries.</summary>
public enum PacketKind
{
    Unknown,
    Stun,
    Dtls,
    Rtp,
    Rtcp,
}

public static class PacketClassifier
{
    /// <summary>Demultiplexes by the first byte (RFC 7983 §7) and, for RTP/RTCP, the payload type (RFC 5761 §4).</summary>
    public static PacketKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
            return PacketKind.Unknown;
        byte first = datagram[0];
        if (first <= 3)
            return PacketKind.Stun;
        if (first is >= 20 and <= 63)
            return PacketKind.Dtls;
        if (first is >= 128 and <= 191)
        {
            if (datagram.Length < 2)
                return PacketKind.Unknown;
            int payloadType = datagram[1] & 0x7F;
            return payloadType is >= 64 and <= 95 ? PacketKind.Rtcp : PacketKind.Rtp;
        }
        return PacketKind.Unknown;
    }
}
