using System.Buffers.Binary;

namespace EdgeVoice.WebRtc.Rtp;

/// <summary>A Source Description packet (RFC 3550 §6.5), borrowed from its packet; CNAME is the item read.</summary>
public readonly ref struct RtcpSourceDescription
{
    public const byte CnameItem = 1;
    private const byte EndItem = 0;

    private readonly ReadOnlySpan<byte> _packet; // without padding

    private RtcpSourceDescription(ReadOnlySpan<byte> packet, int chunkCount)
    {
        _packet = packet;
        ChunkCount = chunkCount;
    }

    public int ChunkCount { get; }

    /// <summary>The SSRC of chunk <paramref name="index"/> and its CNAME (empty when the chunk has none).</summary>
    public uint GetChunk(int index, out ReadOnlySpan<byte> cname)
    {
        if ((uint)index >= (uint)ChunkCount)
            throw new ArgumentOutOfRangeException(nameof(index));
        int at = RtcpPacket.HeaderLength;
        for (int i = 0; i < index; i++)
            at = SkipChunk(_packet, at, out _, out _);
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(_packet[at..]);
        SkipChunk(_packet, at, out int cnameOffset, out int cnameLength);
        cname = cnameOffset < 0 ? default : _packet.Slice(cnameOffset, cnameLength);
        return ssrc;
    }

    public static bool TryParse(RtcpPacket packet, out RtcpSourceDescription description, out RtpError error)
    {
        description = default;
        if (packet.PacketType != RtcpPacketType.SourceDescription)
            return Fail(RtpError.WrongPacketType, out error);
        ReadOnlySpan<byte> bytes = packet.Bytes[..^packet.PaddingLength];
        int at = RtcpPacket.HeaderLength;
        for (int i = 0; i < packet.Count; i++)
        {
            at = SkipChunk(bytes, at, out _, out _);
            if (at < 0)
                return Fail(RtpError.BadSourceDescription, out error);
        }
        description = new RtcpSourceDescription(bytes, packet.Count);
        error = RtpError.None;
        return true;
    }

    /// <summary>Writes an SDES packet with one chunk holding a CNAME (at most 255 bytes); returns the bytes written.</summary>
    public static int WriteCname(Span<byte> destination, uint ssrc, ReadOnlySpan<byte> cname)
    {
        if (cname.Length > 255)
            throw new ArgumentOutOfRangeException(nameof(cname), cname.Length, "an SDES item holds at most 255 bytes");
        int length = (RtcpPacket.HeaderLength + 4 + 2 + cname.Length + 1 + 3) & ~3; // END item, then pad to 32 bits
        RtcpPacket.CheckRoom(destination, length, "SDES");
        RtcpPacket.WriteHeader(destination, 1, RtcpPacketType.SourceDescription, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        destination[8] = CnameItem;
        destination[9] = (byte)cname.Length;
        cname.CopyTo(destination[10..]);
        destination[(10 + cname.Length)..length].Clear();
        return length;
    }

    /// <summary>Walks one chunk from <paramref name="at"/>; the offset after it (32-bit aligned), or -1 when it runs past the end.</summary>
    private static int SkipChunk(ReadOnlySpan<byte> packet, int at, out int cnameOffset, out int cnameLength)
    {
        cnameOffset = -1;
        cnameLength = 0;
        if (at + 4 > packet.Length)
            return -1;
        at += 4;
        while (true)
        {
            if (at >= packet.Length)
                return -1;
            byte type = packet[at];
            if (type == EndItem)
                return Math.Min((at + 4) & ~3, packet.Length); // END, then zero padding to 32 bits
            if (at + 2 > packet.Length || at + 2 + packet[at + 1] > packet.Length)
                return -1;
            if (type == CnameItem && cnameOffset < 0)
            {
                cnameOffset = at + 2;
                cnameLength = packet[at + 1];
            }
            at += 2 + packet[at + 1];
        }
    }

    private static bool Fail(RtpError reason, out RtpError error)
    {
        error = reason;
        return false;
    }
}

/// <summary>A Goodbye packet (RFC 3550 §6.6), borrowed from its packet.</summary>
public readonly ref struct RtcpGoodbye
{
    private readonly ReadOnlySpan<byte> _sources;

    private RtcpGoodbye(ReadOnlySpan<byte> sources, ReadOnlySpan<byte> reason)
    {
        _sources = sources;
        Reason = reason;
    }

    public int SourceCount => _sources.Length / 4;
    /// <summary>The optional reason for leaving (UTF-8), empty when absent.</summary>
    public ReadOnlySpan<byte> Reason { get; }

    public uint GetSource(int index) =>
        (uint)index < (uint)SourceCount
            ? BinaryPrimitives.ReadUInt32BigEndian(_sources[(4 * index)..])
            : throw new ArgumentOutOfRangeException(nameof(index));

    public static bool TryParse(RtcpPacket packet, out RtcpGoodbye goodbye, out RtpError error)
    {
        goodbye = default;
        if (packet.PacketType != RtcpPacketType.Goodbye)
            return Fail(RtpError.WrongPacketType, out error);
        ReadOnlySpan<byte> bytes = packet.Bytes[..^packet.PaddingLength];
        int sourcesEnd = RtcpPacket.HeaderLength + 4 * packet.Count;
        if (sourcesEnd > bytes.Length)
            return Fail(RtpError.BadCount, out error);
        ReadOnlySpan<byte> reason = default;
        if (sourcesEnd < bytes.Length)
        {
            int reasonLength = bytes[sourcesEnd];
            if (sourcesEnd + 1 + reasonLength > bytes.Length)
                return Fail(RtpError.BadLength, out error);
            reason = bytes.Slice(sourcesEnd + 1, reasonLength);
        }
        goodbye = new RtcpGoodbye(bytes[RtcpPacket.HeaderLength..sourcesEnd], reason);
        error = RtpError.None;
        return true;
    }

    /// <summary>Writes a BYE for up to 31 sources with an optional reason (at most 255 bytes); returns the bytes written.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<uint> sources, ReadOnlySpan<byte> reason = default)
    {
        if (sources.Length > 31)
            throw new ArgumentOutOfRangeException(nameof(sources), sources.Length, "at most 31 sources");
        if (reason.Length > 255)
            throw new ArgumentOutOfRangeException(nameof(reason), reason.Length, "a BYE reason holds at most 255 bytes");
        int sourcesEnd = RtcpPacket.HeaderLength + 4 * sources.Length;
        int length = reason.IsEmpty ? sourcesEnd : (sourcesEnd + 1 + reason.Length + 3) & ~3;
        RtcpPacket.CheckRoom(destination, length, "BYE");
        RtcpPacket.WriteHeader(destination, sources.Length, RtcpPacketType.Goodbye, length);
        for (int i = 0; i < sources.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(destination[(RtcpPacket.HeaderLength + 4 * i)..], sources[i]);
        if (!reason.IsEmpty)
        {
            destination[sourcesEnd] = (byte)reason.Length;
            reason.CopyTo(destination[(sourcesEnd + 1)..]);
            destination[(sourcesEnd + 1 + reason.Length)..length].Clear();
        }
        return length;
    }

    private static bool Fail(RtpError reason, out RtpError error)
    {
        error = reason;
        return false;
    }
}
