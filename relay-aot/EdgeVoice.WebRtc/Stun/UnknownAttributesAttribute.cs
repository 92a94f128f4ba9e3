using System.Buffers.Binary;

namespace EdgeVoice.WebRtc.Stun;

/// <summary>UNKNOWN-ATTRIBUTES (RFC 8489 §14.9) naming one attribute type, sent with a 420 error response.</summary>
public readonly struct UnknownAttributesAttribute(ushort attributeType) : IStunAttribute<UnknownAttributesAttribute>
{
    public ushort AttributeType { get; } = attributeType;

    public static StunAttributeType Type => StunAttributeType.UnknownAttributes;

    public int ValueLength => 2;

    /// <summary>Reads the first listed type; the list is a run of 16-bit types.</summary>
    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out UnknownAttributesAttribute attribute)
    {
        attribute = default;
        if (value.Length < 2 || (value.Length & 1) != 0)
            return false;
        attribute = new UnknownAttributesAttribute(BinaryPrimitives.ReadUInt16BigEndian(value));
        return true;
    }

    public void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId) =>
        BinaryPrimitives.WriteUInt16BigEndian(destination, AttributeType);
}
