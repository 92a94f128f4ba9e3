namespace EdgeVoice.WebRtc.Dtls;

/// <summary>Why a DTLS record, fingerprint, certificate or handshake was rejected.</summary>
public enum DtlsError
{
    None,

    // Record layer (RFC 6347 §4.1).
    TruncatedHeader,
    LengthPastEnd,
    BadContentType,
    BadVersion,
    UnexpectedRecord,

    // SDP a=fingerprint (RFC 8122 §5).
    BadFingerprintSyntax,
    UnsupportedHashAlgorithm,

    // Certificate files.
    BadCertificate,
    BadPrivateKey,
    KeyDoesNotMatchCertificate,

    // Handshake outcome.
    Timeout,
    FingerprintMismatch,
    MissingPeerCertificate,
    NoCommonSrtpProfile,
    UnexpectedSrtpProfile,
    AlertReceived,
    HandshakeFailed,

    // After the handshake: a record BouncyCastle could not process.
    ConnectionFailed,
}
