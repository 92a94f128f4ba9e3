using EdgeVoice.WebRtc.Srtp;
using Org.BouncyCastle.Tls;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>BouncyCastle client for DTLS-SRTP (tests, benchmark callers): offers a profile list, checks the server's fingerprint.</summary>
internal sealed class SrtpDtlsClient(DtlsPeerSettings settings, bool extendedMasterSecret = true, bool presentCertificate = true)
    : DefaultTlsClient(BouncyCastleDtls.Crypto), IDtlsHandshake
{
    private readonly DtlsPeerSettings _settings = settings;
    private readonly bool _presentCertificate = presentCertificate;

    private SrtpProfile? _selected;

    public DtlsHandshakeOutcome Outcome { get; } = new();

    public DtlsTransport Run(DatagramTransport transport) => new DtlsClientProtocol().Connect(this, transport);

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => BouncyCastleDtls.CipherSuites;

    public override bool RequiresExtendedMasterSecret() => extendedMasterSecret;

    /// <summary>Off only in a test that checks the relay refuses a client without RFC 7627.</summary>
    public override bool ShouldUseExtendedMasterSecret() => extendedMasterSecret;

    public override bool IgnoreCorruptDtlsRecords => true;

    public override int GetHandshakeTimeoutMillis() => _settings.HandshakeTimeoutMillis;

    public override int GetHandshakeResendTimeMillis() => _settings.InitialRetransmitMillis;

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        IDictionary<int, byte[]> extensions = base.GetClientExtensions();
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(_settings.Profiles.Select(p => (int)p).ToArray(), []));
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        UseSrtpData? answer = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions);
        if (answer is null || answer.ProtectionProfiles.Length != 1)
            Outcome.Reject(DtlsError.UnexpectedSrtpProfile, "the server's use_srtp must name exactly one profile", AlertDescription.illegal_parameter);
        int chosen = answer!.ProtectionProfiles[0];
        if (!_settings.Profiles.Any(p => (int)p == chosen))
            Outcome.Reject(DtlsError.UnexpectedSrtpProfile, $"the server chose SRTP profile 0x{chosen:X4}, which was not offered", AlertDescription.illegal_parameter);
        _selected = (SrtpProfile)chosen;
    }

    public override TlsAuthentication GetAuthentication() => new FingerprintAuthentication(this);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        if (_selected is null)
            Outcome.Reject(DtlsError.NoCommonSrtpProfile, "the server did not answer use_srtp", AlertDescription.handshake_failure);
        Outcome.Keys = BouncyCastleDtls.ExportSrtpKeys(m_context, _selected!.Value);
    }

    private sealed class FingerprintAuthentication(SrtpDtlsClient client) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            BouncyCastleDtls.CheckPeerCertificate(serverCertificate?.Certificate, client._settings.PeerFingerprint, client.Outcome, "server");

        // Not presenting one is only for a test that checks the relay insists on it.
        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            client._presentCertificate ? BouncyCastleDtls.CreateSigner(client.m_context, client._settings.Certificate) : null!;
    }
}
