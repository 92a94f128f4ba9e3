using System.Buffers.Binary;

namespace EdgeVoice.WebRtc.Rtp;

/// <summary>A Sender Report (RFC 3550 §6.4.1), borrowed from its packet.</summary>
public readonly ref struct RtcpSenderReport
{
    private const int SenderInfoEnd = 28; // header 4 + SSRC 4 + sender info 20

    private readonly ReadOnlySpan<byte> _blocks;

    private RtcpSenderReport(ReadOnlySpan<byte> packet, int reportCount)
    {
        Ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        NtpTimestamp = BinaryPrimitives.ReadUInt64BigEndian(packet[8..]);
        RtpTimestamp = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        PacketCount = BinaryPrimitives.ReadUInt32BigEndian(packet[20..]);
        OctetCount = BinaryPrimitives.ReadUInt32BigEndian(packet[24..]);
        ReportCount = reportCount;
        _blocks = packet.Slice(SenderInfoEnd, reportCount * RtcpReportBlock.Length);
    }

    public uint Ssrc { get; }
    /// <summary>64-bit NTP time: seconds since 1900 in the high word, fraction in the low.</summary>
    public ulong NtpTimestamp { get; }
    public uint RtpTimestamp { get; }
    public uint PacketCount { get; }
    public uint OctetCount { get; }
    public int ReportCount { get; }

    /// <summary>The middle 32 bits of the NTP timestamp, as echoed in LSR (RFC 3550 §6.4.1).</summary>
    public uint CompactNtp => (uint)(NtpTimestamp >> 16);

    public RtcpReportBlock GetReportBlock(int index) =>
        (uint)index < (uint)ReportCount
            ? RtcpReportBlock.Read(_blocks[(index * RtcpReportBlock.Length)..])
            : throw new ArgumentOutOfRangeException(nameof(index));

    public static bool TryParse(RtcpPacket packet, out RtcpSenderReport report, out RtpError error)
    {
        report = default;
        if (packet.PacketType != RtcpPacketType.SenderReport)
            return Fail(RtpError.WrongPacketType, out error);
        int available = packet.Bytes.Length - packet.PaddingLength;
        if (available < SenderInfoEnd)
            return Fail(RtpError.BadLength, out error);
        if (SenderInfoEnd + packet.Count * RtcpReportBlock.Length > available)
            return Fail(RtpError.BadCount, out error);
        report = new RtcpSenderReport(packet.Bytes, packet.Count);
        error = RtpError.None;
        return true;
    }

    /// <summary>Writes an SR with the given report blocks (at most 31); returns the bytes written.</summary>
    public static int Write(Span<byte> destination, uint ssrc, ulong ntpTimestamp, uint rtpTimestamp, uint packetCount, uint octetCount,
        ReadOnlySpan<RtcpReportBlock> blocks)
    {
        if (blocks.Length > 31)
            throw new ArgumentOutOfRangeException(nameof(blocks), blocks.Length, "at most 31 report blocks");
        int length = SenderInfoEnd + blocks.Length * RtcpReportBlock.Length;
        RtcpPacket.CheckRoom(destination, length, "sender report");
        RtcpPacket.WriteHeader(destination, blocks.Length, RtcpPacketType.SenderReport, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], ntpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], rtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], packetCount);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], octetCount);
        for (int i = 0; i < blocks.Length; i++)
            blocks[i].WriteTo(destination[(SenderInfoEnd + i * RtcpReportBlock.Length)..]);
        return length;
    }

    private static bool Fail(RtpError reason, out RtpError error)
    {
        error = reason;
        return false;
    }
}

/// <summary>A Receiver Report (RFC 3550 §6.4.2), borrowed from its packet.</summary>
public readonly ref struct RtcpReceiverReport
{
    private const int BlocksStart = 8; // header 4 + SSRC 4

    private readonly ReadOnlySpan<byte> _blocks;

    private RtcpReceiverReport(ReadOnlySpan<byte> packet, int reportCount)
    {
        Ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        ReportCount = reportCount;
        _blocks = packet.Slice(BlocksStart, reportCount * RtcpReportBlock.Length);
    }

    public uint Ssrc { get; }
    public int ReportCount { get; }

    public RtcpReportBlock GetReportBlock(int index) =>
        (uint)index < (uint)ReportCount
            ? RtcpReportBlock.Read(_blocks[(index * RtcpReportBlock.Length)..])
            : throw new ArgumentOutOfRangeException(nameof(index));

    public static bool TryParse(RtcpPacket packet, out RtcpReceiverReport report, out RtpError error)
    {
        report = default;
        if (packet.PacketType != RtcpPacketType.ReceiverReport)
            return Fail(RtpError.WrongPacketType, out error);
        int available = packet.Bytes.Length - packet.PaddingLength;
        if (available < BlocksStart)
            return Fail(RtpError.BadLength, out error);
        if (BlocksStart + packet.Count * RtcpReportBlock.Length > available)
            return Fail(RtpError.BadCount, out error);
        report = new RtcpReceiverReport(packet.Bytes, packet.Count);
        error = RtpError.None;
        return true;
    }

    /// <summary>Writes an RR with the given report blocks (at most 31); returns the bytes written.</summary>
    public static int Write(Span<byte> destination, uint ssrc, ReadOnlySpan<RtcpReportBlock> blocks)
    {
        if (blocks.Length > 31)
            throw new ArgumentOutOfRangeException(nameof(blocks), blocks.Length, "at most 31 report blocks");
        int length = BlocksStart + blocks.Length * RtcpReportBlock.Length;
        RtcpPacket.CheckRoom(destination, length, "receiver report");
        RtcpPacket.WriteHeader(destination, blocks.Length, RtcpPacketType.ReceiverReport, length);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], ssrc);
        for (int i = 0; i < blocks.Length; i++)
            blocks[i].WriteTo(destination[(BlocksStart + i * RtcpReportBlock.Length)..]);
        return length;
    }

    private static bool Fail(RtpError reason, out RtpError error)
    {
        error = reason;
        return false;
    }
}
