namespace EdgeVoice.WebRtc.Stun;

/// <summary>
/// One STUN attribute type: how to read its value and how to write it. Static abstract members let
/// <see cref="StunMessage.TryGetAttribute{T}"/> and <see cref="StunWriter.WriteAttribute{T}"/> stay generic without reflection.
/// </summary>
public interface IStunAttribute<TSelf> where TSelf : IStunAttribute<TSelf>, allows ref struct
{
    static abstract StunAttributeType Type { get; }

    /// <summary>Reads an attribute value (without header or padding); the transaction id is for XOR-encoded attributes.</summary>
    static abstract bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out TSelf attribute);

    /// <summary>The value length written by <see cref="WriteValue"/>, before padding.</summary>
    int ValueLength { get; }

    void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId);
}
