namespace EdgeVoice.WebRtc.Stun;

/// <summary>STUN attribute types used by ICE (IANA "STUN Attributes" registry).</summary>
public enum StunAttributeType : ushort
{
    MappedAddress = 0x0001,
    Username = 0x0006,
    MessageIntegrity = 0x0008,
    ErrorCode = 0x0009,
    UnknownAttributes = 0x000A,
    Realm = 0x0014,
    Nonce = 0x0015,
    MessageIntegritySha256 = 0x001C,
    PasswordAlgorithm = 0x001D,
    UserHash = 0x001E,
    XorMappedAddress = 0x0020,
    Priority = 0x0024,
    UseCandidate = 0x0025,
    PasswordAlgorithms = 0x8002,
    AlternateDomain = 0x8003,
    Software = 0x8022,
    AlternateServer = 0x8023,
    Fingerprint = 0x8028,
    IceControlled = 0x8029,
    IceControlling = 0x802A,
}

internal static class StunAttributeTypes
{
    /// <summary>Types 0x0000-0x7FFF must be understood by the receiver (RFC 8489 §14).</summary>
    public static bool IsComprehensionRequired(ushort type) => type < 0x8000;

    /// <summary>The comprehension-required types this parser recognises (it reads some and tolerates the rest).</summary>
    public static bool IsKnown(ushort type) => (StunAttributeType)type is
        StunAttributeType.MappedAddress or StunAttributeType.Username or StunAttributeType.MessageIntegrity
        or StunAttributeType.ErrorCode or StunAttributeType.UnknownAttributes or StunAttributeType.Realm
        or StunAttributeType.Nonce or StunAttributeType.MessageIntegritySha256 or StunAttributeType.PasswordAlgorithm
        or StunAttributeType.UserHash or StunAttributeType.XorMappedAddress or StunAttributeType.Priority
        or StunAttributeType.UseCandidate;
}
