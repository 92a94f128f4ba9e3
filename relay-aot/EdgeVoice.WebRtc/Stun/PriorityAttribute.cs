using System.Buffers.Binary;

namespace EdgeVoice.WebRtc.Stun;

/// <summary>PRIORITY (RFC 8445 §16.1): the priority a peer-reflexive candidate would get.</summary>
public readonly struct PriorityAttribute(uint value) : IStunAttribute<PriorityAttribute>
{
    public uint Value { get; } = value;

    public static StunAttributeType Type => StunAttributeType.Priority;

    public int ValueLength => 4;

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out PriorityAttribute attribute)
    {
        attribute = default;
        if (value.Length != 4)
            return false;
        attribute = new PriorityAttribute(BinaryPrimitives.ReadUInt32BigEndian(value));
        return true;
    }

    public void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId) =>
        BinaryPrimitives.WriteUInt32BigEndian(destination, Value);
}
