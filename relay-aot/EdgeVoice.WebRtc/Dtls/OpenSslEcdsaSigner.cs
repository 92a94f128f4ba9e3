using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>
/// Signs ServerKeyExchange / CertificateVerify with the certificate's key on OpenSSL (through .NET): about 25 µs
/// against BouncyCastle's 120 µs. Verification and ECDH stay in BouncyCastle, where importing a peer's key into
/// OpenSSL 3 alone costs more than the managed operation (bench/EdgeVoice.Bench/Dtls).
/// </summary>
internal sealed class OpenSslEcdsaSigner(Certificate chain, DtlsCertificate certificate) : TlsCredentialedSigner
{
    public Certificate Certificate => chain;

    public SignatureAndHashAlgorithm SignatureAndHashAlgorithm => BouncyCastleDtls.EcdsaP256Sha256;

    public byte[] GenerateRawSignature(byte[] hash) => certificate.SignHash(hash);

    public TlsStreamSigner GetStreamSigner() => null!;
}
