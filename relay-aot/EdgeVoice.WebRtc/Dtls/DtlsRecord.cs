using System.Buffers.Binary;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>DTLS record content types (IANA TLS ContentType registry, 20..25).</summary>
public enum DtlsContentType : byte
{
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
    Heartbeat = 24,
    Tls12Cid = 25,
}

/// <summary>The 13-byte DTLS 1.0/1.2 record header (RFC 6347 §4.1).</summary>
public readonly record struct DtlsRecordHeader(DtlsContentType ContentType, ushort Version, ushort Epoch, ulong SequenceNumber, ushort Length)
{
    public const int Size = 13;
    public const ushort VersionDtls10 = 0xFEFF;
    public const ushort VersionDtls12 = 0xFEFD;
    public const ulong MaxSequenceNumber = (1UL << 48) - 1;

    /// <summary>Reads one header at the start of <paramref name="data"/> and checks its fragment fits in it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out DtlsRecordHeader header, out DtlsError error)
    {
        header = default;
        if (data.Length < Size)
        {
            error = DtlsError.TruncatedHeader;
            return false;
        }
        byte type = data[0];
        if (type is < (byte)DtlsContentType.ChangeCipherSpec or > (byte)DtlsContentType.Tls12Cid)
        {
            error = DtlsError.BadContentType;
            return false;
        }
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(data[1..]);
        if (version is not (VersionDtls12 or VersionDtls10))
        {
            error = DtlsError.BadVersion;
            return false;
        }
        ushort epoch = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
        ulong sequence = ((ulong)BinaryPrimitives.ReadUInt16BigEndian(data[5..]) << 32) | BinaryPrimitives.ReadUInt32BigEndian(data[7..]);
        ushort length = BinaryPrimitives.ReadUInt16BigEndian(data[11..]);
        if (length > data.Length - Size)
        {
            error = DtlsError.LengthPastEnd;
            return false;
        }
        header = new DtlsRecordHeader((DtlsContentType)type, version, epoch, sequence, length);
        error = DtlsError.None;
        return true;
    }

    /// <summary>Writes the header; returns the bytes written (13), or 0 when <paramref name="destination"/> is too short.</summary>
    public int WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
            return 0;
        destination[0] = (byte)ContentType;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], Version);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], Epoch);
        BinaryPrimitives.WriteUInt16BigEndian(destination[5..], (ushort)(SequenceNumber >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[7..], (uint)SequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination[11..], Length);
        return Size;
    }
}

/// <summary>Walks the records of one datagram without copying; stops at the first malformed record.</summary>
public ref struct DtlsRecordIterator
{
    private ReadOnlySpan<byte> _rest;

    public DtlsRecordIterator(ReadOnlySpan<byte> datagram)
    {
        _rest = datagram;
        Error = DtlsError.None;
    }

    /// <summary>Set when iteration stopped on a malformed record rather than at the end of the datagram.</summary>
    public DtlsError Error { get; private set; }

    public bool TryNext(out DtlsRecordHeader header, out ReadOnlySpan<byte> fragment)
    {
        fragment = default;
        if (_rest.IsEmpty || Error != DtlsError.None)
        {
            header = default;
            return false;
        }
        if (!DtlsRecordHeader.TryParse(_rest, out header, out DtlsError error))
        {
            Error = error;
            return false;
        }
        fragment = _rest.Slice(DtlsRecordHeader.Size, header.Length);
        _rest = _rest[(DtlsRecordHeader.Size + header.Length)..];
        return true;
    }
}

public static class DtlsRecord
{
    /// <summary>True when the datagram is one or more well-formed records and nothing else; junk is dropped before BouncyCastle sees it.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> datagram, out DtlsError error)
    {
        if (datagram.IsEmpty)
        {
            error = DtlsError.TruncatedHeader;
            return false;
        }
        var records = new DtlsRecordIterator(datagram);
        while (records.TryNext(out _, out _))
        {
        }
        error = records.Error;
        return error == DtlsError.None;
    }

    /// <summary>
    /// Well-formed, and nothing a WebRTC peer never sends: plaintext (epoch 0) application data, heartbeats (never
    /// negotiated) or connection-id records. A plaintext record with a far-ahead sequence number would otherwise
    /// move BouncyCastle's replay window past the real handshake records.
    /// </summary>
    public static bool IsAcceptableFromPeer(ReadOnlySpan<byte> datagram, out DtlsError error)
    {
        if (datagram.IsEmpty)
        {
            error = DtlsError.TruncatedHeader;
            return false;
        }
        var records = new DtlsRecordIterator(datagram);
        while (records.TryNext(out DtlsRecordHeader header, out _))
        {
            if (header.ContentType is DtlsContentType.Heartbeat or DtlsContentType.Tls12Cid
                || (header.ContentType == DtlsContentType.ApplicationData && header.Epoch == 0))
            {
                error = DtlsError.UnexpectedRecord;
                return false;
            }
        }
        error = records.Error;
        return error == DtlsError.None;
    }

    /// <summary>Counts the records in a datagram (for logging); -1 when it is malformed.</summary>
    public static int CountRecords(ReadOnlySpan<byte> datagram)
    {
        var records = new DtlsRecordIterator(datagram);
        int count = 0;
        while (records.TryNext(out _, out _))
            count++;
        return records.Error == DtlsError.None ? count : -1;
    }
}
