namespace EdgeVoice.WebRtc.Stun;

/// <summary>USERNAME (RFC 8489 §14.3): for ICE, "recipientUfrag:senderUfrag" in UTF-8, borrowed from the datagram.</summary>
public readonly ref struct UsernameAttribute(ReadOnlySpan<byte> value) : IStunAttribute<UsernameAttribute>
{
    // RFC 8489 lowers the bound to 509 bytes; 513 (RFC 5389) accepts senders of either RFC.
    public const int MaxLength = 513;

    public ReadOnlySpan<byte> Value { get; } = value;

    public static StunAttributeType Type => StunAttributeType.Username;

    public int ValueLength => Value.Length;

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out UsernameAttribute attribute)
    {
        attribute = new UsernameAttribute(value);
        return value.Length <= MaxLength;
    }

    public void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId) => Value.CopyTo(destination);
}
