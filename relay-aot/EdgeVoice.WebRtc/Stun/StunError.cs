namespace EdgeVoice.WebRtc.Stun;

/// <summary>Why <see cref="StunMessage.TryParse"/> rejected a datagram.</summary>
public enum StunError
{
    None,
    /// <summary>Fewer than the 20 bytes of a STUN header.</summary>
    TooShort,
    /// <summary>The two most significant bits of the first byte are not zero.</summary>
    NotStun,
    /// <summary>Bytes 4..7 are not the magic cookie 0x2112A442.</summary>
    BadMagicCookie,
    /// <summary>The header's message length is not a multiple of 4 (this also catches a last attribute without its padding).</summary>
    LengthNotMultipleOfFour,
    /// <summary>The header's message length differs from the datagram length minus 20.</summary>
    LengthMismatch,
    /// <summary>An attribute's value runs past the end of the message.</summary>
    AttributeTruncated,
    /// <summary>A known attribute has a value of the wrong size or content.</summary>
    InvalidAttribute,
    /// <summary>An attribute follows FINGERPRINT.</summary>
    FingerprintNotLast,
    /// <summary>FINGERPRINT does not match the CRC-32 of the message.</summary>
    FingerprintMismatch,
    /// <summary>A Binding request without USERNAME (ICE connectivity checks must carry it).</summary>
    MissingUsername,
    /// <summary>A Binding request without MESSAGE-INTEGRITY.</summary>
    MissingIntegrity,
}
