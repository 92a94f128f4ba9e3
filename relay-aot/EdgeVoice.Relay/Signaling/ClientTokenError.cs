namespace EdgeVoice.Relay.Signaling;

/// <summary>Why a client token was refused.</summary>
public enum ClientTokenError
{
    None,
    /// <summary>Not of the form <c>ev1.&lt;payload&gt;.&lt;mac&gt;</c>, or its signed payload does not decode.</summary>
    Malformed,
    /// <summary>A token of another format version (<c>evN.</c>).</summary>
    UnsupportedVersion,
    /// <summary>The MAC does not match: tampered, or minted with another secret.</summary>
    BadSignature,
    Expired,
    /// <summary>Issued further in the future than the allowed clock skew.</summary>
    NotYetValid,
    /// <summary>Validity longer than this relay's maximum token lifetime.</summary>
    LifetimeTooLong,
}
