using System.Buffers.Binary;

namespace EdgeVoice.WebRtc.Stun;

/// <summary>ICE-CONTROLLING (RFC 8445 §16.1): the sender is the controlling agent; the value is its tie-breaker.</summary>
public readonly struct IceControllingAttribute(ulong tieBreaker) : IStunAttribute<IceControllingAttribute>
{
    public ulong TieBreaker { get; } = tieBreaker;

    public static StunAttributeType Type => StunAttributeType.IceControlling;

    public int ValueLength => 8;

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out IceControllingAttribute attribute)
    {
        attribute = default;
        if (value.Length != 8)
            return false;
        attribute = new IceControllingAttribute(BinaryPrimitives.ReadUInt64BigEndian(value));
        return true;
    }

    public void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId) =>
        BinaryPrimitives.WriteUInt64BigEndian(destination, TieBreaker);
}

/// <summary>ICE-CONTROLLED (RFC 8445 §16.1): the sender is the controlled agent; the value is its tie-breaker.</summary>
public readonly struct IceControlledAttribute(ulong tieBreaker) : IStunAttribute<IceControlledAttribute>
{
    public ulong TieBreaker { get; } = tieBreaker;

    public static StunAttributeType Type => StunAttributeType.IceControlled;

    public int ValueLength => 8;

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out IceControlledAttribute attribute)
    {
        attribute = default;
        if (value.Length != 8)
            return false;
        attribute = new IceControlledAttribute(BinaryPrimitives.ReadUInt64BigEndian(value));
        return true;
    }

    public void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId) =>
        BinaryPrimitives.WriteUInt64BigEndian(destination, TieBreaker);
}
