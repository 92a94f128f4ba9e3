using System.Buffers.Binary;

namespace EdgeVoice.WebRtc.Rtp;

/// <summary>RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1).</summary>
public enum RtcpPacketType : byte
{
    SenderReport = 200,
    ReceiverReport = 201,
    SourceDescription = 202,
    Goodbye = 203,
    ApplicationDefined = 204,
    TransportFeedback = 205,
    PayloadFeedback = 206,
}

/// <summary>One RTCP packet of a compound datagram, borrowed from it: header fields and the packet's bytes.</summary>
public readonly ref struct RtcpPacket
{
    public const int HeaderLength = 4;

    internal RtcpPacket(ReadOnlySpan<byte> bytes, int paddingLength)
    {
        Bytes = bytes;
        PaddingLength = paddingLength;
    }

    /// <summary>The whole packet, header and padding included.</summary>
    public ReadOnlySpan<byte> Bytes { get; }
    public RtcpPacketType PacketType => (RtcpPacketType)Bytes[1];
    /// <summary>The 5-bit count field: report blocks, SDES chunks, BYE sources, or the feedback format.</summary>
    public int Count => Bytes[0] & 0x1F;
    public int PaddingLength { get; }
    /// <summary>After the 4-byte header, before any padding.</summary>
    public ReadOnlySpan<byte> Body => Bytes[HeaderLength..^PaddingLength];

    /// <summary>Writes the 4-byte RTCP header for a packet of <paramref name="length"/> bytes (a multiple of 4).</summary>
    internal static void WriteHeader(Span<byte> destination, int count, RtcpPacketType type, int length)
    {
        destination[0] = (byte)(0x80 | count);
        destination[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(length / 4 - 1));
    }

    internal static void CheckRoom(Span<byte> destination, int length, string what)
    {
        if (destination.Length < length)
            throw new ArgumentException($"{what} needs {length} bytes, destination has {destination.Length}", nameof(destination));
    }
}

/// <summary>
/// Walks the packets of a compound RTCP datagram (RFC 3550 §6.1), checking each header's version,
/// length and padding. Types it does not know (APP, feedback) are handed out to be skipped.
/// </summary>
public ref struct RtcpCompoundReader
{
    private ReadOnlySpan<byte> _rest;
    private bool _any;

    public RtcpCompoundReader(ReadOnlySpan<byte> datagram)
    {
        _rest = datagram;
        _any = false;
    }

    /// <summary>
    /// The next packet; false at the end (<paramref name="error"/> None) or on a malformed packet
    /// (the rest of the datagram is then not trusted and reading stops).
    /// </summary>
    public bool TryReadNext(out RtcpPacket packet, out RtpError error)
    {
        packet = default;
        if (_rest.IsEmpty)
        {
            error = _any ? RtpError.None : RtpError.Empty;
            return false;
        }
        if (!TryParseOne(_rest, out packet, out error))
        {
            _rest = default;
            return false;
        }
        _rest = _rest[packet.Bytes.Length..];
        _any = true;
        return true;
    }

    /// <summary>Checks that the whole datagram is well-formed RTCP, every packet of the types this folder reads included.</summary>
    public static bool Validate(ReadOnlySpan<byte> datagram, out RtpError error)
    {
        var reader = new RtcpCompoundReader(datagram);
        while (reader.TryReadNext(out RtcpPacket packet, out error))
        {
            bool ok = packet.PacketType switch
            {
                RtcpPacketType.SenderReport => RtcpSenderReport.TryParse(packet, out _, out error),
                RtcpPacketType.ReceiverReport => RtcpReceiverReport.TryParse(packet, out _, out error),
                RtcpPacketType.SourceDescription => RtcpSourceDescription.TryParse(packet, out _, out error),
                RtcpPacketType.Goodbye => RtcpGoodbye.TryParse(packet, out _, out error),
                _ => true,
            };
            if (!ok)
                return false;
        }
        return error == RtpError.None;
    }

    private static bool TryParseOne(ReadOnlySpan<byte> data, out RtcpPacket packet, out RtpError error)
    {
        packet = default;
        if (data.Length < RtcpPacket.HeaderLength)
            return Fail(RtpError.Truncated, out error);
        if (data[0] >> 6 != 2)
            return Fail(RtpError.BadVersion, out error);
        int length = 4 * (BinaryPrimitives.ReadUInt16BigEndian(data[2..]) + 1);
        if (length > data.Length)
            return Fail(RtpError.BadLength, out error);
        int padding = 0;
        if ((data[0] & 0x20) != 0)
        {
            padding = data[length - 1];
            if (padding == 0 || padding > length - RtcpPacket.HeaderLength)
                return Fail(RtpError.BadPadding, out error);
        }
        packet = new RtcpPacket(data[..length], padding);
        error = RtpError.None;
        return true;
    }

    private static bool Fail(RtpError reason, out RtpError error)
    {
        error = reason;
        return false;
    }
}
