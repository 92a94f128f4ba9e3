using EdgeVoice.WebRtc.Srtp;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>What the BouncyCastle server and client share: crypto provider, suites, credentials, key export.</summary>
internal static class BouncyCastleDtls
{
    /// <summary>One provider for all sessions: it keeps no per-connection state, and its SecureRandom locks internally.</summary>
    public static readonly BcTlsCrypto Crypto = new(new SecureRandom());

    /// <summary>The relay's provider: ECDHE and the client's ECDSA signature on OpenSSL when libcrypto loads, else <see cref="Crypto"/>.</summary>
    public static readonly BcTlsCrypto ServerCrypto = LibCrypto.IsSupported ? new OpenSslTlsCrypto(new SecureRandom()) : Crypto;

    /// <summary>AEAD suites with ECDSA certificates, the ones Chromium and aiortc offer for DTLS 1.2.</summary>
    public static readonly int[] CipherSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    public static readonly SignatureAndHashAlgorithm EcdsaP256Sha256 =
        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

    /// <summary>Our certificate and its signer: OpenSSL by default, BouncyCastle's managed ECDSA as the benchmark's baseline.</summary>
    public static TlsCredentialedSigner CreateSigner(TlsContext context, DtlsCertificate certificate, bool managedSigning = false)
    {
        Certificate chain = certificate.TlsChain;
        return managedSigning
            ? new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), Crypto, certificate.PrivateKey, chain, EcdsaP256Sha256)
            : new OpenSslEcdsaSigner(chain, certificate);
    }

    /// <summary>RFC 5764 §4.2: 2 × (key + salt) bytes of "EXTRACTOR-dtls_srtp", no context.</summary>
    public static SrtpKeyingMaterial ExportSrtpKeys(TlsContext context, SrtpProfile profile)
    {
        int length = 2 * (profile.KeyLength() + profile.SaltLength());
        byte[] material = context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, length);
        try
        {
            return SrtpKeyingMaterial.FromExporter(profile, material);
        }
        finally
        {
            Array.Clear(material);
        }
    }

    /// <summary>The peer's leaf certificate must hash to the SDP fingerprint; possession of its key is proven by the handshake signature.</summary>
    public static void CheckPeerCertificate(Certificate? chain, DtlsFingerprint expected, DtlsHandshakeOutcome outcome, string peer)
    {
        if (chain is null || chain.IsEmpty)
            outcome.Reject(DtlsError.MissingPeerCertificate, $"the {peer} sent no certificate", AlertDescription.bad_certificate);
        byte[] der = chain!.GetCertificateAt(0).GetEncoded();
        if (!expected.Matches(der))
        {
            var actual = DtlsFingerprint.Compute(expected.Algorithm, der);
            outcome.Reject(DtlsError.FingerprintMismatch, $"the {peer}'s certificate is {actual}, the SDP says {expected}", AlertDescription.bad_certificate);
        }
    }

    public static DtlsEvent.Failed Describe(Exception e, DtlsHandshakeOutcome outcome) => e switch
    {
        _ when outcome.Reason != DtlsError.None => new DtlsEvent.Failed(outcome.Reason, outcome.Detail),
        TlsFatalAlertReceived received => new DtlsEvent.Failed(DtlsError.AlertReceived, "peer sent fatal alert " + AlertDescription.GetText(received.AlertDescription)),
        TlsTimeoutException => new DtlsEvent.Failed(DtlsError.Timeout, e.Message),
        TlsFatalAlert raised => new DtlsEvent.Failed(DtlsError.HandshakeFailed, $"sent fatal alert {AlertDescription.GetText(raised.AlertDescription)}: {raised.InnerException?.Message ?? raised.Message}"),
        _ => new DtlsEvent.Failed(DtlsError.HandshakeFailed, e.Message),
    };
}

/// <summary>What one handshake produced: the keys, or the reason our side rejected it.</summary>
internal sealed class DtlsHandshakeOutcome
{
    public SrtpKeyingMaterial? Keys { get; set; }

    /// <summary>The ECDHE group (IANA NamedGroup) the server chose (the client's first it supports); -1 on the client side.</summary>
    public int KeyExchangeGroup { get; set; } = -1;

    public DtlsError Reason { get; private set; }

    public string Detail { get; private set; } = "";

    /// <summary>Records why, then aborts the handshake with <paramref name="alert"/> sent to the peer.</summary>
    public void Reject(DtlsError reason, string detail, short alert)
    {
        Reason = reason;
        Detail = detail;
        throw new TlsFatalAlert(alert, detail);
    }
}

/// <summary>One side of the handshake, run on the endpoint's worker.</summary>
internal interface IDtlsHandshake
{
    DtlsHandshakeOutcome Outcome { get; }

    DtlsTransport Run(DatagramTransport transport);
}

internal sealed record DtlsPeerSettings(
    DtlsCertificate Certificate,
    DtlsFingerprint PeerFingerprint,
    IReadOnlyList<SrtpProfile> Profiles,
    int HandshakeTimeoutMillis,
    int InitialRetransmitMillis);
