using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EdgeVoice.WebRtc.Stun;

/// <summary>
/// Builds a STUN message in the caller's buffer: header first, then attributes, then MESSAGE-INTEGRITY and
/// FINGERPRINT. Every write returns false (and writes nothing) when the buffer is too small; the header's
/// length field always covers what was written so far.
/// </summary>
public ref struct StunWriter
{
    private const int AttributeHeaderLength = 4;
    private const int FingerprintLength = 4;
    private readonly Span<byte> _buffer;
    private int _length;
    private bool _overflowed;

    /// <summary>Starts a message; <paramref name="transactionId"/> must be 12 bytes.</summary>
    public StunWriter(Span<byte> buffer, StunClass messageClass, StunMethod method, ReadOnlySpan<byte> transactionId)
    {
        if (transactionId.Length != StunMessage.TransactionIdLength)
            throw new ArgumentException("A STUN transaction id is 12 bytes.", nameof(transactionId));
        _buffer = buffer;
        if (buffer.Length < StunMessage.HeaderLength)
        {
            _overflowed = true;
            return;
        }
        BinaryPrimitives.WriteUInt16BigEndian(buffer, StunMessageType.Encode(messageClass, method));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunMessage.MagicCookie);
        transactionId.CopyTo(buffer[8..]);
        _length = StunMessage.HeaderLength;
    }

    /// <summary>Bytes written so far, or 0 when any write did not fit.</summary>
    public readonly int Length => _overflowed ? 0 : _length;

    public readonly bool Overflowed => _overflowed;

    private readonly ReadOnlySpan<byte> TransactionId => _buffer.Slice(8, StunMessage.TransactionIdLength);

    public bool WriteAttribute<T>(scoped in T attribute) where T : IStunAttribute<T>, allows ref struct
    {
        int valueLength = attribute.ValueLength;
        if (!TryReserve(valueLength, out Span<byte> value))
            return false;
        WriteAttributeHeader(T.Type, valueLength);
        attribute.WriteValue(value, TransactionId);
        Commit(valueLength);
        return true;
    }

    /// <summary>Appends an attribute given as type and raw value (SOFTWARE, attributes this layer has no type for).</summary>
    public bool WriteAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        if (!TryReserve(value.Length, out Span<byte> destination))
            return false;
        WriteAttributeHeader((StunAttributeType)type, value.Length);
        value.CopyTo(destination);
        Commit(value.Length);
        return true;
    }

    /// <summary>Appends MESSAGE-INTEGRITY: HMAC-SHA1 under <paramref name="key"/> over everything written so far.</summary>
    public bool WriteMessageIntegrity(ReadOnlySpan<byte> key)
    {
        if (!TryReserve(StunMessage.IntegrityLength, out Span<byte> value))
            return false;
        WriteAttributeHeader(StunAttributeType.MessageIntegrity, StunMessage.IntegrityLength);
        SetLengthField(_length + AttributeHeaderLength + StunMessage.IntegrityLength);
        HMACSHA1.HashData(key, _buffer[.._length], value);
        Commit(StunMessage.IntegrityLength);
        return true;
    }

    /// <summary>Appends FINGERPRINT; nothing may follow it.</summary>
    public bool WriteFingerprint()
    {
        if (!TryReserve(FingerprintLength, out Span<byte> value))
            return false;
        WriteAttributeHeader(StunAttributeType.Fingerprint, FingerprintLength);
        SetLengthField(_length + AttributeHeaderLength + FingerprintLength);
        BinaryPrimitives.WriteUInt32BigEndian(value, StunCrc32.Compute(_buffer[.._length]) ^ StunMessage.FingerprintXor);
        Commit(FingerprintLength);
        return true;
    }

    /// <summary>
    /// Writes a Binding success response: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY (under the agent's own password), FINGERPRINT.
    /// Returns its length, or 0 when <paramref name="destination"/> is too small.
    /// </summary>
    public static int WriteBindingSuccess(Span<byte> destination, ReadOnlySpan<byte> transactionId, TransportAddress mappedAddress,
        ReadOnlySpan<byte> integrityKey)
    {
        var writer = new StunWriter(destination, StunClass.SuccessResponse, StunMethod.Binding, transactionId);
        writer.WriteAttribute(new XorMappedAddressAttribute(mappedAddress));
        writer.WriteMessageIntegrity(integrityKey);
        writer.WriteFingerprint();
        return writer.Length;
    }

    /// <summary>
    /// Writes a Binding error response with ERROR-CODE (and UNKNOWN-ATTRIBUTES for 420), MESSAGE-INTEGRITY when
    /// <paramref name="integrityKey"/> is not empty (RFC 8489 §9.1.3: none for 400/401 to an unauthenticated request),
    /// and FINGERPRINT. Returns its length, or 0 when too small.
    /// </summary>
    public static int WriteBindingError(Span<byte> destination, ReadOnlySpan<byte> transactionId, int code,
        ReadOnlySpan<byte> integrityKey, ushort unknownAttribute = 0)
    {
        var writer = new StunWriter(destination, StunClass.ErrorResponse, StunMethod.Binding, transactionId);
        writer.WriteAttribute(new ErrorCodeAttribute(code, ErrorCodeAttribute.DefaultReason(code)));
        if (code == ErrorCodeAttribute.UnknownAttribute)
            writer.WriteAttribute(new UnknownAttributesAttribute(unknownAttribute));
        if (!integrityKey.IsEmpty)
            writer.WriteMessageIntegrity(integrityKey);
        writer.WriteFingerprint();
        return writer.Length;
    }

    /// <summary>
    /// Writes an ICE connectivity check (RFC 8445 §7.1.1) from a controlling agent: USERNAME, PRIORITY, ICE-CONTROLLING,
    /// USE-CANDIDATE when nominating, MESSAGE-INTEGRITY under the recipient's password, FINGERPRINT.
    /// Returns its length, or 0 when too small.
    /// </summary>
    public static int WriteBindingRequest(Span<byte> destination, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> username,
        uint priority, ulong tieBreaker, bool useCandidate, ReadOnlySpan<byte> integrityKey)
    {
        var writer = new StunWriter(destination, StunClass.Request, StunMethod.Binding, transactionId);
        writer.WriteAttribute(new UsernameAttribute(username));
        writer.WriteAttribute(new PriorityAttribute(priority));
        writer.WriteAttribute(new IceControllingAttribute(tieBreaker));
        if (useCandidate)
            writer.WriteAttribute(new UseCandidateAttribute());
        writer.WriteMessageIntegrity(integrityKey);
        writer.WriteFingerprint();
        return writer.Length;
    }

    private bool TryReserve(int valueLength, out Span<byte> value)
    {
        int padded = (valueLength + 3) & ~3;
        if (_overflowed || valueLength > ushort.MaxValue || _buffer.Length - _length < AttributeHeaderLength + padded)
        {
            _overflowed = true;
            value = default;
            return false;
        }
        value = _buffer.Slice(_length + AttributeHeaderLength, valueLength);
        _buffer.Slice(_length + AttributeHeaderLength + valueLength, padded - valueLength).Clear();
        return true;
    }

    private readonly void WriteAttributeHeader(StunAttributeType type, int valueLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)valueLength);
    }

    private void Commit(int valueLength)
    {
        _length += AttributeHeaderLength + ((valueLength + 3) & ~3);
        SetLengthField(_length);
    }

    private readonly void SetLengthField(int totalLength) =>
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(totalLength - StunMessage.HeaderLength));
}
