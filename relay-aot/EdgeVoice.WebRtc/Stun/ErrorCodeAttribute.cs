namespace EdgeVoice.WebRtc.Stun;

/// <summary>ERROR-CODE (RFC 8489 §14.8): a code 300-699 and a UTF-8 reason phrase borrowed from the datagram.</summary>
public readonly ref struct ErrorCodeAttribute(int code, ReadOnlySpan<byte> reason) : IStunAttribute<ErrorCodeAttribute>
{
    public const int BadRequest = 400;
    public const int Unauthorized = 401;
    public const int UnknownAttribute = 420;
    public const int RoleConflict = 487;

    // RFC 8489 bounds the reason phrase to 128 characters, at most 763 bytes of UTF-8.
    public const int MaxReasonLength = 763;

    public int Code { get; } = code;

    public ReadOnlySpan<byte> Reason { get; } = reason;

    public static StunAttributeType Type => StunAttributeType.ErrorCode;

    public int ValueLength => 4 + Reason.Length;

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out ErrorCodeAttribute attribute)
    {
        attribute = default;
        if (value.Length < 4 || value.Length - 4 > MaxReasonLength)
            return false;
        int errorClass = value[2] & 0x07;
        int number = value[3];
        if (errorClass is < 3 or > 6 || number > 99)
            return false;
        attribute = new ErrorCodeAttribute(errorClass * 100 + number, value[4..]);
        return true;
    }

    public void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId)
    {
        destination[0] = 0;
        destination[1] = 0;
        destination[2] = (byte)(Code / 100);
        destination[3] = (byte)(Code % 100);
        Reason.CopyTo(destination[4..]);
    }

    /// <summary>The reason phrase RFC 8489 §14.8 / RFC 8445 §7.3.1.1 suggest for a code.</summary>
    public static ReadOnlySpan<byte> DefaultReason(int code) => code switch
    {
        BadRequest => "Bad Request"u8,
        Unauthorized => "Unauthorized"u8,
        UnknownAttribute => "Unknown Attribute"u8,
        RoleConflict => "Role Conflict"u8,
        _ => "Error"u8,
    };
}
