using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>
/// Signs ServerKeyExchange / CertificateVerify with the certificate's key on OpenSSL (through .NET): about 25 µs
/// against BouncyCastle's 120 µs. ECDH and verification of the peer's signature are on OpenSSL too, through the
/// EC_KEY calls that skip .NET's costly key import (<see cref="OpenSslTlsCrypto"/>).
/// </summary>
internal sealed class OpenSslEcdsaSigner(Certificate chain, DtlsCertificate certificate) : TlsCredentialedSigner
{
    public Certificate Certificate => chain;

    public SignatureAndHashAlgorithm SignatureAndHashAlgorithm => BouncyCastleDtls.EcdsaP256Sha256;

    public byte[] GenerateRawSignature(byte[] hash) => certificate.SignHash(hash);

    public TlsStreamSigner GetStreamSigner() => null!;
}
