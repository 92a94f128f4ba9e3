using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace EdgeVoice.WebRtc.Rtp;

/// <summary>
/// An RTP fixed header with its CSRC list (RFC 3550 §5.1), and where the extension, payload and
/// padding lie in the packet it was parsed from.
/// </summary>
public readonly struct RtpHeader : IEquatable<RtpHeader>
{
    public const int FixedLength = 12;
    public const int MaxCsrcCount = 15;

    private readonly CsrcList _csrcs;

    /// <summary>A header to send: no CSRCs, no extension, no padding.</summary>
    public RtpHeader(byte payloadType, ushort sequenceNumber, uint timestamp, uint ssrc, bool marker = false)
        : this(payloadType, sequenceNumber, timestamp, ssrc, marker, default)
    {
    }

    /// <summary>A header to send that names contributing sources.</summary>
    public RtpHeader(byte payloadType, ushort sequenceNumber, uint timestamp, uint ssrc, bool marker, ReadOnlySpan<uint> csrcs)
    {
        if (payloadType > 127)
            throw new ArgumentOutOfRangeException(nameof(payloadType), payloadType, "RTP payload type is 7 bits");
        if (csrcs.Length > MaxCsrcCount)
            throw new ArgumentOutOfRangeException(nameof(csrcs), csrcs.Length, "at most 15 CSRCs");
        PayloadType = payloadType;
        SequenceNumber = sequenceNumber;
        Timestamp = timestamp;
        Ssrc = ssrc;
        Marker = marker;
        CsrcCount = csrcs.Length;
        csrcs.CopyTo(_csrcs);
        HeaderLength = FixedLength + 4 * csrcs.Length;
    }

    private RtpHeader(ReadOnlySpan<byte> packet, int headerLength, int paddingLength)
    {
        Marker = (packet[1] & 0x80) != 0;
        PayloadType = (byte)(packet[1] & 0x7F);
        SequenceNumber = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        Timestamp = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        Ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        CsrcCount = packet[0] & 0x0F;
        for (int i = 0; i < CsrcCount; i++)
            _csrcs[i] = BinaryPrimitives.ReadUInt32BigEndian(packet[(FixedLength + 4 * i)..]);
        HasExtension = (packet[0] & 0x10) != 0;
        if (HasExtension)
        {
            int at = FixedLength + 4 * CsrcCount;
            ExtensionProfile = BinaryPrimitives.ReadUInt16BigEndian(packet[at..]);
            ExtensionLength = 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(at + 2)..]);
        }
        HeaderLength = headerLength;
        PaddingLength = paddingLength;
        PayloadLength = packet.Length - headerLength - paddingLength;
    }

    public bool Marker { get; }
    public byte PayloadType { get; }
    public ushort SequenceNumber { get; }
    public uint Timestamp { get; }
    public uint Ssrc { get; }
    public int CsrcCount { get; }
    public bool HasExtension { get; }
    /// <summary>The 16 "defined by profile" bits (0xBEDE for RFC 8285 one-byte extensions).</summary>
    public ushort ExtensionProfile { get; }
    /// <summary>Bytes of extension data after the 4-byte extension header.</summary>
    public int ExtensionLength { get; }
    /// <summary>Fixed header + CSRCs + extension: where the payload starts.</summary>
    public int HeaderLength { get; }
    public int PayloadOffset => HeaderLength;
    public int PayloadLength { get; }
    /// <summary>Padding bytes at the end of the packet (0 when the P bit is clear).</summary>
    public int PaddingLength { get; }
    public bool HasPadding => PaddingLength > 0;

    public uint GetCsrc(int index) =>
        (uint)index < (uint)CsrcCount ? _csrcs[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>
    /// Checks the version and that the CSRC list and extension fit, and gives the header's length.
    /// Padding is not looked at: in SRTP it lies inside the encrypted payload.
    /// </summary>
    public static bool TryGetLength(ReadOnlySpan<byte> packet, out int headerLength, out RtpError error)
    {
        headerLength = 0;
        if (packet.Length < FixedLength)
            return Fail(RtpError.Truncated, out error);
        if (packet[0] >> 6 != 2)
            return Fail(RtpError.BadVersion, out error);
        int length = FixedLength + 4 * (packet[0] & 0x0F);
        if (length > packet.Length)
            return Fail(RtpError.CsrcPastEnd, out error);
        if ((packet[0] & 0x10) != 0)
        {
            if (length + 4 > packet.Length)
                return Fail(RtpError.ExtensionPastEnd, out error);
            length += 4 + 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(length + 2)..]);
            if (length > packet.Length)
                return Fail(RtpError.ExtensionPastEnd, out error);
        }
        headerLength = length;
        error = RtpError.None;
        return true;
    }

    /// <summary>Parses the header of a plain RTP packet, checking that the padding count fits in the payload.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtpHeader header, out RtpError error)
    {
        header = default;
        if (!TryGetLength(packet, out int headerLength, out error))
            return false;
        int padding = 0;
        if ((packet[0] & 0x20) != 0)
        {
            padding = packet[^1];
            if (padding == 0 || padding > packet.Length - headerLength)
                return Fail(RtpError.BadPadding, out error);
        }
        header = new RtpHeader(packet, headerLength, padding);
        return true;
    }

    /// <summary>
    /// Writes the fixed header and CSRCs (version 2, P and X clear); returns the bytes written.
    /// A parsed header's extension and padding are not re-emitted: the relay writes its own headers.
    /// </summary>
    public int WriteTo(Span<byte> destination)
    {
        int length = FixedLength + 4 * CsrcCount;
        if (destination.Length < length)
            throw new ArgumentException($"RTP header needs {length} bytes, destination has {destination.Length}", nameof(destination));
        destination[0] = (byte)(0x80 | CsrcCount);
        destination[1] = (byte)((Marker ? 0x80 : 0) | PayloadType);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Ssrc);
        for (int i = 0; i < CsrcCount; i++)
            BinaryPrimitives.WriteUInt32BigEndian(destination[(FixedLength + 4 * i)..], _csrcs[i]);
        return length;
    }

    public bool Equals(RtpHeader other)
    {
        if (Marker != other.Marker || PayloadType != other.PayloadType || SequenceNumber != other.SequenceNumber ||
            Timestamp != other.Timestamp || Ssrc != other.Ssrc || CsrcCount != other.CsrcCount ||
            HasExtension != other.HasExtension || ExtensionProfile != other.ExtensionProfile ||
            ExtensionLength != other.ExtensionLength || HeaderLength != other.HeaderLength ||
            PayloadLength != other.PayloadLength || PaddingLength != other.PaddingLength)
            return false;
        for (int i = 0; i < CsrcCount; i++)
            if (_csrcs[i] != other._csrcs[i])
                return false;
        return true;
    }

    public override bool Equals(object? obj) => obj is RtpHeader other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Ssrc, SequenceNumber, Timestamp, PayloadType, HeaderLength);
    public override string ToString() => $"RTP pt={PayloadType} seq={SequenceNumber} ts={Timestamp} ssrc={Ssrc:x8}{(Marker ? " M" : "")} cc={CsrcCount} hdr={HeaderLength} payload={PayloadLength} pad={PaddingLength}";

    private static bool Fail(RtpError reason, out RtpError error)
    {
        error = reason;
        return false;
    }

    [InlineArray(MaxCsrcCount)]
    private struct CsrcList
    {
        private uint _element;
    }
}
