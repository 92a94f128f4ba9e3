namespace EdgeVoice.WebRtc.Sdp;

/// <summary>Why an SDP text was refused; each value comes with a one-line reason fit for an HTTP 400 body.</summary>
public enum SdpError
{
    None,
    TooLarge,
    LineTooLong,
    TooManyMediaSections,
    InvalidEncoding,
    MalformedLine,
    MissingVersion,
    MalformedMediaLine,
    MalformedAttribute,
    MalformedCandidate,
    MalformedFingerprint,
    MalformedIceCredentials,
    DuplicateAttribute,
    DuplicateMid,
    NoAudioSection,
    NoOpus,
    MissingIceCredentials,
    MissingFingerprint,
    UnsupportedFingerprintAlgorithm,
    UnsupportedSetupRole,
    RtcpMuxRequired,
    UnsupportedProtocol,
}
