namespace EdgeVoice.WebRtc.Stun;

/// <summary>USE-CANDIDATE (RFC 8445 §16.1): the controlling agent nominates this pair; no value.</summary>
public readonly struct UseCandidateAttribute : IStunAttribute<UseCandidateAttribute>
{
    public static StunAttributeType Type => StunAttributeType.UseCandidate;

    public int ValueLength => 0;

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out UseCandidateAttribute attribute)
    {
        attribute = default;
        return value.IsEmpty;
    }

    public void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId)
    {
    }
}
