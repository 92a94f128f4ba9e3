using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>
/// The relay's side of DTLS-SRTP (role server, <c>a=setup:passive</c>). Starts on the client's first datagram,
/// requires the client's certificate to match the offer's fingerprint, picks the first profile of its own list
/// the client offered.
/// </summary>
public sealed class DtlsServer : DtlsEndpoint
{
    private readonly DtlsCertificate _certificate;
    private readonly DtlsFingerprint _clientFingerprint;
    private readonly IReadOnlyList<SrtpProfile> _profiles;

    public DtlsServer(DtlsCertificate certificate, DtlsFingerprint clientFingerprint, IReadOnlyList<SrtpProfile>? srtpProfiles = null,
        TimeSpan? handshakeTimeout = null, Action? outputReady = null)
        : base(handshakeTimeout ?? TimeSpan.FromSeconds(10), outputReady)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (clientFingerprint.IsEmpty)
            throw new ArgumentException("the client's SDP fingerprint is required", nameof(clientFingerprint));
        _profiles = srtpProfiles ?? DtlsSrtpProfiles.Default;
        DtlsSrtpProfiles.Validate(_profiles, nameof(srtpProfiles));
        _certificate = certificate;
        _clientFingerprint = clientFingerprint;
    }

    private protected override bool StartsOnInput => true;

    private protected override IDtlsHandshake CreateHandshake(int handshakeTimeoutMillis, int initialRetransmitMillis) =>
        new SrtpDtlsServer(Settings(_certificate, _clientFingerprint, _profiles, handshakeTimeoutMillis, initialRetransmitMillis));
}
