using EdgeVoice.WebRtc.Srtp;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>BouncyCastle server for DTLS-SRTP: DTLS 1.2, client certificate required, extended master secret required.</summary>
internal sealed class SrtpDtlsServer(DtlsPeerSettings settings, bool managedSigning = false)
    : DefaultTlsServer(BouncyCastleDtls.ServerCrypto), IDtlsHandshake
{
    private SrtpProfile? _selected;

    public DtlsHandshakeOutcome Outcome { get; } = new();

    public DtlsTransport Run(DatagramTransport transport) => new DtlsServerProtocol().Accept(this, transport);

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => BouncyCastleDtls.CipherSuites;

    protected override bool PreferLocalCipherSuites() => true;

    public override bool RequiresExtendedMasterSecret() => true;

    public override bool IgnoreCorruptDtlsRecords => true;

    public override int GetHandshakeTimeoutMillis() => settings.HandshakeTimeoutMillis;

    public override int GetHandshakeResendTimeMillis() => settings.InitialRetransmitMillis;

    public override TlsECConfig GetECDHConfig()
    {
        TlsECConfig config = base.GetECDHConfig();
        Outcome.KeyExchangeGroup = config.NamedGroup;
        return config;
    }

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        UseSrtpData? offer = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions);
        if (offer is null)
            Outcome.Reject(DtlsError.NoCommonSrtpProfile, "the client sent no use_srtp extension", AlertDescription.handshake_failure);
        if (!DtlsSrtpProfiles.TrySelect(settings.Profiles, offer!.ProtectionProfiles, out SrtpProfile selected))
        {
            string offered = string.Join(", ", offer.ProtectionProfiles.Select(p => $"0x{p:X4}"));
            Outcome.Reject(DtlsError.NoCommonSrtpProfile, $"client offered SRTP profiles [{offered}], none of [{string.Join(", ", settings.Profiles)}]", AlertDescription.handshake_failure);
        }
        _selected = selected;
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        IDictionary<int, byte[]> extensions = base.GetServerExtensions();
        // RFC 5764 §4.1.1: exactly the selected profile, with an empty MKI.
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([(int)_selected!.Value], []));
        return extensions;
    }

    public override CertificateRequest GetCertificateRequest() =>
        new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
            TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context), null);

    public override void NotifyClientCertificate(Certificate clientCertificate) =>
        BouncyCastleDtls.CheckPeerCertificate(clientCertificate, settings.PeerFingerprint, Outcome, "client");

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() =>
        BouncyCastleDtls.CreateSigner(m_context, settings.Certificate, managedSigning);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        Outcome.Keys = BouncyCastleDtls.ExportSrtpKeys(m_context, _selected!.Value);
    }
}
