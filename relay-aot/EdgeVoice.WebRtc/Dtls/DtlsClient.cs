using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>DTLS-SRTP client (role client, <c>a=setup:active</c>) for tests and synthetic callers: offers a profile list, checks the server's fingerprint.</summary>
public sealed class DtlsClient : DtlsEndpoint
{
    private readonly DtlsCertificate _certificate;
    private readonly DtlsFingerprint _serverFingerprint;
    private readonly IReadOnlyList<SrtpProfile> _profiles;

    public DtlsClient(DtlsCertificate certificate, DtlsFingerprint serverFingerprint, IReadOnlyList<SrtpProfile>? srtpProfiles = null,
        TimeSpan? handshakeTimeout = null, Action? outputReady = null)
        : base(handshakeTimeout ?? TimeSpan.FromSeconds(10), outputReady)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (serverFingerprint.IsEmpty)
            throw new ArgumentException("the server's SDP fingerprint is required", nameof(serverFingerprint));
        _profiles = srtpProfiles ?? DtlsSrtpProfiles.Default;
        DtlsSrtpProfiles.Validate(_profiles, nameof(srtpProfiles));
        _certificate = certificate;
        _serverFingerprint = serverFingerprint;
    }

    /// <summary>Sends the ClientHello (from the worker) and starts the handshake deadline at <paramref name="now"/>.</summary>
    public void Start(TimeSpan now) => StartHandshake(now);

    private protected override bool StartsOnInput => false;

    private protected override IDtlsHandshake CreateHandshake(int handshakeTimeoutMillis, int initialRetransmitMillis) =>
        new SrtpDtlsClient(Settings(_certificate, _serverFingerprint, _profiles, handshakeTimeoutMillis, initialRetransmitMillis));
}
