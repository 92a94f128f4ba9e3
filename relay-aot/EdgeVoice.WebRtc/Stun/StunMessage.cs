using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace EdgeVoice.WebRtc.Stun;

/// <summary>
/// A STUN message (RFC 8489) checked and indexed in place: it borrows the datagram and copies nothing.
/// Parse any class (requests, indications, responses); a Binding request must carry USERNAME and
/// MESSAGE-INTEGRITY, and a FINGERPRINT, when present, must be last and correct.
/// </summary>
public readonly ref struct StunMessage
{
    public const int HeaderLength = 20;
    public const int TransactionIdLength = 12;
    public const uint MagicCookie = 0x2112_A442;
    internal const uint FingerprintXor = 0x5354_554E;
    internal const int IntegrityLength = 20;
    private const int AttributeHeaderLength = 4;
    private const int StackCopyLimit = 1024;

    private readonly ReadOnlySpan<byte> _bytes;
    private readonly AttributeOffsets _at;

    private StunMessage(ReadOnlySpan<byte> bytes, AttributeOffsets offsets)
    {
        _bytes = bytes;
        _at = offsets;
    }

    /// <summary>The whole message: the datagram passed to <see cref="TryParse"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    public StunClass Class => StunMessageType.DecodeClass(BinaryPrimitives.ReadUInt16BigEndian(_bytes));

    public StunMethod Method => StunMessageType.DecodeMethod(BinaryPrimitives.ReadUInt16BigEndian(_bytes));

    public bool IsBindingRequest => Class == StunClass.Request && Method == StunMethod.Binding;

    /// <summary>The 96-bit transaction id (12 bytes).</summary>
    public ReadOnlySpan<byte> TransactionId => _bytes.Slice(8, TransactionIdLength);

    public bool HasUsername => _at.Username != 0;

    /// <summary>The USERNAME value (empty when absent); for ICE "recipientUfrag:senderUfrag".</summary>
    public ReadOnlySpan<byte> Username => ValueAt(_at.Username);

    public uint? Priority =>
        _at.Priority != 0 && PriorityAttribute.TryRead(ValueAt(_at.Priority), default, out var a) ? a.Value : null;

    public bool UseCandidate => _at.UseCandidate != 0;

    /// <summary>The tie-breaker of ICE-CONTROLLING, when the sender claims the controlling role.</summary>
    public ulong? IceControlling =>
        _at.IceControlling != 0 && IceControllingAttribute.TryRead(ValueAt(_at.IceControlling), default, out var a) ? a.TieBreaker : null;

    /// <summary>The tie-breaker of ICE-CONTROLLED, when the sender claims the controlled role.</summary>
    public ulong? IceControlled =>
        _at.IceControlled != 0 && IceControlledAttribute.TryRead(ValueAt(_at.IceControlled), default, out var a) ? a.TieBreaker : null;

    public TransportAddress? XorMappedAddress =>
        _at.XorMappedAddress != 0 && XorMappedAddressAttribute.TryRead(ValueAt(_at.XorMappedAddress), TransactionId, out var a)
            ? a.Address : null;

    /// <summary>The ERROR-CODE number (e.g. 487), when present.</summary>
    public int? ErrorCode =>
        _at.ErrorCode != 0 && ErrorCodeAttribute.TryRead(ValueAt(_at.ErrorCode), default, out var a) ? a.Code : null;

    /// <summary>The ERROR-CODE reason phrase (empty when absent).</summary>
    public ReadOnlySpan<byte> ErrorReason => _at.ErrorCode != 0 ? ValueAt(_at.ErrorCode)[4..] : default;

    /// <summary>Offset of the MESSAGE-INTEGRITY attribute header in <see cref="Bytes"/>, or -1.</summary>
    public int MessageIntegrityOffset => _at.Integrity != 0 ? _at.Integrity : -1;

    /// <summary>Offset of the FINGERPRINT attribute header in <see cref="Bytes"/>, or -1.</summary>
    public int FingerprintOffset => _at.Fingerprint != 0 ? _at.Fingerprint : -1;

    /// <summary>The first comprehension-required attribute type this parser does not know, or 0 (a server answers 420).</summary>
    public ushort UnknownComprehensionRequired => _at.UnknownRequired;

    /// <summary>Checks the header and walks the attributes; never throws.</summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out StunMessage message, out StunError error)
    {
        message = default;
        if (datagram.Length < HeaderLength)
            return Fail(StunError.TooShort, out error);
        if ((datagram[0] & 0xC0) != 0)
            return Fail(StunError.NotStun, out error);
        if (BinaryPrimitives.ReadUInt32BigEndian(datagram[4..]) != MagicCookie)
            return Fail(StunError.BadMagicCookie, out error);
        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if ((length & 3) != 0)
            return Fail(StunError.LengthNotMultipleOfFour, out error);
        if (length != datagram.Length - HeaderLength)
            return Fail(StunError.LengthMismatch, out error);

        ReadOnlySpan<byte> transactionId = datagram.Slice(8, TransactionIdLength);
        var at = new AttributeOffsets();
        int offset = HeaderLength;
        // The body length is a multiple of 4 and every attribute advances by a multiple of 4, so an attribute header
        // always fits and a value that fits also fits its padding.
        while (offset < datagram.Length)
        {
            if (at.Fingerprint != 0)
                return Fail(StunError.FingerprintNotLast, out error);
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(datagram[offset..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
            int valueStart = offset + AttributeHeaderLength;
            if (valueLength > datagram.Length - valueStart)
                return Fail(StunError.AttributeTruncated, out error);
            int paddedLength = (valueLength + 3) & ~3;
            ReadOnlySpan<byte> value = datagram.Slice(valueStart, valueLength);

            bool valid = true;
            if (type == (ushort)StunAttributeType.Fingerprint)
            {
                valid = valueLength == 4;
                at.Fingerprint = offset;
            }
            else if (at.Integrity != 0)
            {
                // RFC 8489 §14.5: attributes after MESSAGE-INTEGRITY, other than FINGERPRINT, are ignored.
            }
            else
            {
                switch ((StunAttributeType)type)
                {
                    case StunAttributeType.MessageIntegrity:
                        valid = valueLength == IntegrityLength;
                        at.Integrity = offset;
                        break;
                    case StunAttributeType.Username:
                        valid = Record<UsernameAttribute>(ref at.Username, offset, value, transactionId);
                        break;
                    case StunAttributeType.Priority:
                        valid = Record<PriorityAttribute>(ref at.Priority, offset, value, transactionId);
                        break;
                    case StunAttributeType.UseCandidate:
                        valid = Record<UseCandidateAttribute>(ref at.UseCandidate, offset, value, transactionId);
                        break;
                    case StunAttributeType.IceControlling:
                        valid = Record<IceControllingAttribute>(ref at.IceControlling, offset, value, transactionId);
                        break;
                    case StunAttributeType.IceControlled:
                        valid = Record<IceControlledAttribute>(ref at.IceControlled, offset, value, transactionId);
                        break;
                    case StunAttributeType.XorMappedAddress:
                        valid = Record<XorMappedAddressAttribute>(ref at.XorMappedAddress, offset, value, transactionId);
                        break;
                    case StunAttributeType.ErrorCode:
                        valid = Record<ErrorCodeAttribute>(ref at.ErrorCode, offset, value, transactionId);
                        break;
                    default:
                        if (at.UnknownRequired == 0 && StunAttributeTypes.IsComprehensionRequired(type) && !StunAttributeTypes.IsKnown(type))
                            at.UnknownRequired = type;
                        break;
                }
            }
            if (!valid)
                return Fail(StunError.InvalidAttribute, out error);
            offset = valueStart + paddedLength;
        }

        if (at.Fingerprint != 0 && !FingerprintMatches(datagram, at.Fingerprint))
            return Fail(StunError.FingerprintMismatch, out error);

        ushort messageType = BinaryPrimitives.ReadUInt16BigEndian(datagram);
        if (messageType == StunMessageType.Encode(StunClass.Request, StunMethod.Binding))
        {
            if (at.Username == 0)
                return Fail(StunError.MissingUsername, out error);
            if (at.Integrity == 0)
                return Fail(StunError.MissingIntegrity, out error);
        }

        message = new StunMessage(datagram, at);
        error = StunError.None;
        return true;
    }

    /// <summary>
    /// Checks MESSAGE-INTEGRITY: HMAC-SHA1 under <paramref name="key"/> (the ICE password's UTF-8 bytes for
    /// short-term credentials) over the message up to the attribute, with the length field covering it.
    /// </summary>
    [SkipLocalsInit]
    public bool VerifyIntegrity(ReadOnlySpan<byte> key)
    {
        int integrity = _at.Integrity;
        if (integrity == 0)
            return false;
        byte[]? rented = null;
        Span<byte> covered = integrity <= StackCopyLimit
            ? stackalloc byte[StackCopyLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(integrity));
        covered = covered[..integrity];
        _bytes[..integrity].CopyTo(covered);
        BinaryPrimitives.WriteUInt16BigEndian(covered[2..], (ushort)(integrity + AttributeHeaderLength + IntegrityLength - HeaderLength));
        Span<byte> mac = stackalloc byte[IntegrityLength];
        HMACSHA1.HashData(key, covered, mac);
        bool matches = CryptographicOperations.FixedTimeEquals(mac, _bytes.Slice(integrity + AttributeHeaderLength, IntegrityLength));
        if (rented is not null)
            ArrayPool<byte>.Shared.Return(rented);
        return matches;
    }

    /// <summary>True when a FINGERPRINT is present and matches (TryParse already rejects a wrong one).</summary>
    public bool VerifyFingerprint() => _at.Fingerprint != 0 && FingerprintMatches(_bytes, _at.Fingerprint);

    /// <summary>Finds the first attribute of type <typeparamref name="T"/> that counts (before MESSAGE-INTEGRITY, or FINGERPRINT) and reads it.</summary>
    public bool TryGetAttribute<T>(out T attribute) where T : IStunAttribute<T>, allows ref struct
    {
        ushort wanted = (ushort)T.Type;
        int offset = HeaderLength;
        while (offset + AttributeHeaderLength <= _bytes.Length)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(_bytes[offset..]);
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(_bytes[(offset + 2)..]);
            bool counts = _at.Integrity == 0 || offset <= _at.Integrity || type == (ushort)StunAttributeType.Fingerprint;
            if (type == wanted && counts)
                return T.TryRead(_bytes.Slice(offset + AttributeHeaderLength, valueLength), TransactionId, out attribute);
            offset += AttributeHeaderLength + ((valueLength + 3) & ~3);
        }
        attribute = default!;
        return false;
    }

    private ReadOnlySpan<byte> ValueAt(int headerOffset) =>
        headerOffset == 0
            ? default
            : _bytes.Slice(headerOffset + AttributeHeaderLength, BinaryPrimitives.ReadUInt16BigEndian(_bytes[(headerOffset + 2)..]));

    private static bool FingerprintMatches(ReadOnlySpan<byte> message, int fingerprintOffset)
    {
        // FINGERPRINT is last, so the header's length field already covers it as RFC 8489 §14.7 requires.
        // A plain compare: the CRC is no secret (anyone computes it), and FixedTimeEquals is compiled unoptimized.
        return BinaryPrimitives.ReadUInt32BigEndian(message[(fingerprintOffset + AttributeHeaderLength)..])
            == (StunCrc32.Compute(message[..fingerprintOffset]) ^ FingerprintXor);
    }

    // First occurrence wins (RFC 8489 §5): later duplicates are neither read nor validated.
    private static bool Record<T>(ref int slot, int offset, ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId)
        where T : IStunAttribute<T>, allows ref struct
    {
        if (slot != 0)
            return true;
        if (!T.TryRead(value, transactionId, out _))
            return false;
        slot = offset;
        return true;
    }

    private static bool Fail(StunError reason, out StunError error)
    {
        error = reason;
        return false;
    }

    // Offsets of attribute headers in the message; 0 means absent (no attribute starts before byte 20).
    private struct AttributeOffsets
    {
        public int Username;
        public int Priority;
        public int UseCandidate;
        public int IceControlling;
        public int IceControlled;
        public int XorMappedAddress;
        public int ErrorCode;
        public int Integrity;
        public int Fingerprint;
        public ushort UnknownRequired;
    }
}
