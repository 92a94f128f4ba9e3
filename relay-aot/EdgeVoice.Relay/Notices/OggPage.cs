using System.Buffers.Binary;

namespace EdgeVoice.Relay.Notices;

[Flags]
public enum OggPageFlags : byte
{
    None = 0,
    /// <summary>The page's first segment continues a packet begun on the previous page.</summary>
    Continued = 0x01,
    BeginningOfStream = 0x02,
    EndOfStream = 0x04,
}

/// <summary>One Ogg page (RFC 3533 §6), borrowing its segment table and body from the bytes it was parsed from.</summary>
public readonly ref struct OggPage
{
    public const int HeaderLength = 27;
    public const int MaxSegments = 255;
    public const int MaxLength = HeaderLength + MaxSegments + MaxSegments * 255;

    public OggPage(OggPageFlags flags, long granulePosition, uint serial, uint sequence, ReadOnlySpan<byte> segments, ReadOnlySpan<byte> body)
    {
        if (segments.Length > MaxSegments)
            throw new ArgumentOutOfRangeException(nameof(segments), segments.Length, "an Ogg page has at most 255 segments");
        int sum = 0;
        foreach (byte lacing in segments) sum += lacing;
        if (sum != body.Length)
            throw new ArgumentException($"the segment table covers {sum} bytes, the body has {body.Length}", nameof(body));
        Flags = flags;
        GranulePosition = granulePosition;
        Serial = serial;
        Sequence = sequence;
        Segments = segments;
        Body = body;
    }

    public OggPageFlags Flags { get; }
    /// <summary>For Opus: the sample count (48 kHz) at the end of the last packet that ends on this page, pre-skip included; -1 when none ends here.</summary>
    public long GranulePosition { get; }
    public uint Serial { get; }
    public uint Sequence { get; }
    /// <summary>The lacing values: a packet ends at each value below 255.</summary>
    public ReadOnlySpan<byte> Segments { get; }
    public ReadOnlySpan<byte> Body { get; }
    public int Length => HeaderLength + Segments.Length + Body.Length;

    /// <summary>Parses the page at the start of <paramref name="data"/> (more bytes may follow), checking its CRC.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out OggPage page, out OggError error)
    {
        page = default;
        if (data.Length < HeaderLength)
        {
            error = data.IsEmpty ? OggError.Empty : OggError.Truncated;
            return false;
        }
        if (!data[..4].SequenceEqual("OggS"u8))
        {
            error = OggError.BadCapturePattern;
            return false;
        }
        if (data[4] != 0)
        {
            error = OggError.BadVersion;
            return false;
        }
        int segmentCount = data[26];
        if (data.Length < HeaderLength + segmentCount)
        {
            error = OggError.Truncated;
            return false;
        }
        var segments = data.Slice(HeaderLength, segmentCount);
        int bodyLength = 0;
        foreach (byte lacing in segments) bodyLength += lacing;
        int length = HeaderLength + segmentCount + bodyLength;
        if (data.Length < length)
        {
            error = OggError.Truncated;
            return false;
        }
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data[22..]);
        uint crc = OggCrc.Compute(data[..22]);
        crc = OggCrc.Compute([0, 0, 0, 0], crc);
        crc = OggCrc.Compute(data[26..length], crc);
        if (crc != stored)
        {
            error = OggError.BadChecksum;
            return false;
        }
        page = new OggPage((OggPageFlags)(data[5] & 0x07), BinaryPrimitives.ReadInt64LittleEndian(data[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(data[14..]), BinaryPrimitives.ReadUInt32LittleEndian(data[18..]),
            segments, data.Slice(HeaderLength + segmentCount, bodyLength));
        error = OggError.None;
        return true;
    }

    /// <summary>Writes the page with its CRC; returns its length (the destination must hold <see cref="Length"/> bytes).</summary>
    public int WriteTo(Span<byte> destination)
    {
        var page = destination[..Length];
        "OggS"u8.CopyTo(page);
        page[4] = 0;
        page[5] = (byte)Flags;
        BinaryPrimitives.WriteInt64LittleEndian(page[6..], GranulePosition);
        BinaryPrimitives.WriteUInt32LittleEndian(page[14..], Serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page[18..], Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(page[22..], 0);
        page[26] = (byte)Segments.Length;
        Segments.CopyTo(page[HeaderLength..]);
        Body.CopyTo(page[(HeaderLength + Segments.Length)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(page[22..], OggCrc.Compute(page));
        return page.Length;
    }
}
