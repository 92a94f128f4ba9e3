namespace EdgeVoice.WebRtc.Stun;

/// <summary>The class bits C1 C0 of a STUN message type (RFC 8489 §5).</summary>
public enum StunClass : byte
{
    Request = 0,
    Indication = 1,
    SuccessResponse = 2,
    ErrorResponse = 3,
}

/// <summary>The 12-bit STUN method; ICE only uses Binding.</summary>
public enum StunMethod : ushort
{
    Binding = 0x001,
}

internal static class StunMessageType
{
    // The class bits sit at positions 4 and 8, splitting the method into three runs (RFC 8489 Figure 3).
    public static ushort Encode(StunClass messageClass, StunMethod method)
    {
        int m = (ushort)method;
        int c = (int)messageClass;
        return (ushort)((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
    }

    public static StunClass DecodeClass(ushort type) => (StunClass)(((type >> 4) & 1) | ((type >> 7) & 2));

    public static StunMethod DecodeMethod(ushort type) =>
        (StunMethod)((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
}
