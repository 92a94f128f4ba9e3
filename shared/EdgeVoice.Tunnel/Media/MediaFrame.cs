using System.Buffers.Binary;

namespace EdgeVoice.Tunnel.Media;

/// <summary>Which way a media frame travels through the tunnel.</summary>
public enum MediaDirection : byte
{
    /// <summary>Relay → transceiver (the user's speech).</summary>
    Uplink = 0,
    /// <summary>Transceiver → relay (the agent's speech).</summary>
    Downlink = 1,
}

/// <summary>Flag bits of a media frame; unknown bits are carried and ignored.</summary>
[Flags]
public enum MediaFrameFlags : byte
{
    None = 0,
    /// <summary>RTP marker bit: first frame of a talkspurt.</summary>
    Marker = 0x01,
    /// <summary>The sender dropped frames before this one on purpose (e.g. barge-in flush).</summary>
    Discontinuity = 0x02,
}

/// <summary>
/// One steered media frame, carried as exactly one QUIC DATAGRAM (docs/tunnel-wire-format.md §2).
/// The payload borrows from the datagram it was parsed from.
/// </summary>
public readonly ref struct MediaFrame
{
    public const byte Version = 1;
    /// <summary>Header length this implementation writes; a reader accepts any length ≥ this and skips the rest.</summary>
    public const int HeaderLength = 20;

    public MediaDirection Direction { get; }
    public MediaFrameFlags Flags { get; }
    public ulong SessionId { get; }
    public uint Sequence { get; }
    public uint RtpTimestamp { get; }
    public ReadOnlySpan<byte> Payload { get; }

    public MediaFrame(ulong sessionId, MediaDirection direction, uint sequence, uint rtpTimestamp, MediaFrameFlags flags, ReadOnlySpan<byte> payload)
    {
        SessionId = sessionId;
        Direction = direction;
        Sequence = sequence;
        RtpTimestamp = rtpTimestamp;
        Flags = flags;
        Payload = payload;
    }

    public int Length => HeaderLength + Payload.Length;

    public static bool TryParse(ReadOnlySpan<byte> datagram, out MediaFrame frame, out MediaFrameError error)
    {
        frame = default;
        if (datagram.Length < 4)
        {
            error = MediaFrameError.TooShort;
            return false;
        }
        if (datagram[0] != Version)
        {
            error = MediaFrameError.UnsupportedVersion;
            return false;
        }
        if (datagram[1] > (byte)MediaDirection.Downlink)
        {
            error = MediaFrameError.BadDirection;
            return false;
        }
        int headerLength = datagram[3];
        if (headerLength < HeaderLength)
        {
            error = MediaFrameError.BadHeaderLength;
            return false;
        }
        if (datagram.Length < headerLength)
        {
            error = MediaFrameError.TooShort;
            return false;
        }
        frame = new MediaFrame(
            BinaryPrimitives.ReadUInt64BigEndian(datagram[4..]),
            (MediaDirection)datagram[1],
            BinaryPrimitives.ReadUInt32BigEndian(datagram[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[16..]),
            (MediaFrameFlags)datagram[2],
            datagram[headerLength..]);
        error = MediaFrameError.None;
        return true;
    }

    /// <summary>Writes the frame; returns the bytes written, or -1 when <paramref name="destination"/> is too small.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
            return -1;
        destination[0] = Version;
        destination[1] = (byte)Direction;
        destination[2] = (byte)Flags;
        destination[3] = HeaderLength;
        BinaryPrimitives.WriteUInt64BigEndian(destination[4..], SessionId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], RtpTimestamp);
        Payload.CopyTo(destination[HeaderLength..]);
        return Length;
    }
}
