using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>
/// BouncyCastle's TLS crypto with a handshake's public-key operations on OpenSSL (through .NET): ephemeral P-256
/// ECDH and ECDSA P-256 verification here, ECDSA signing in <see cref="OpenSslEcdsaSigner"/>. Managed EC math was
/// most of the relay's CPU per call setup; records, PRF and everything else stay in BouncyCastle.
/// </summary>
internal sealed class OpenSslTlsCrypto(SecureRandom random) : BcTlsCrypto(random)
{
    public override TlsCertificate CreateCertificate(short type, byte[] encoding) =>
        type == CertificateType.X509 ? new OpenSslVerifyingCertificate(this, encoding) : base.CreateCertificate(type, encoding);

    public override TlsECDomain CreateECDomain(TlsECConfig ecConfig) =>
        ecConfig.NamedGroup == NamedGroup.secp256r1 ? new OpenSslP256Domain(this) : base.CreateECDomain(ecConfig);

    internal static ECParameters P256PublicKey(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => new()
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint { X = x.ToArray(), Y = y.ToArray() },
    };
}

internal sealed class OpenSslP256Domain(OpenSslTlsCrypto crypto) : TlsECDomain
{
    public TlsAgreement CreateECDH() => new OpenSslP256Agreement(crypto);
}

/// <summary>Ephemeral ECDH on P-256 with uncompressed points (RFC 8422 §5.4); the premaster secret is the shared x-coordinate.</summary>
internal sealed class OpenSslP256Agreement(OpenSslTlsCrypto crypto) : TlsAgreement
{
    private const int CoordinateLength = 32;
    private ECDiffieHellman? _local;
    private ECDiffieHellman? _peer;

    public byte[] GenerateEphemeral()
    {
        _local = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        ECParameters parameters = _local.ExportParameters(includePrivateParameters: false);
        return [0x04, .. parameters.Q.X!, .. parameters.Q.Y!];
    }

    public void ReceivePeerValue(byte[] peerValue)
    {
        if (peerValue.Length != 1 + 2 * CoordinateLength || peerValue[0] != 0x04)
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "the peer's P-256 key share is not an uncompressed point");
        try
        {
            // OpenSSL rejects a point that is not on the curve here.
            _peer = ECDiffieHellman.Create(OpenSslTlsCrypto.P256PublicKey(peerValue.AsSpan(1, CoordinateLength), peerValue.AsSpan(1 + CoordinateLength)));
        }
        catch (CryptographicException e)
        {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "the peer's P-256 key share is not a valid point", e);
        }
    }

    public TlsSecret CalculateSecret()
    {
        if (_local is null || _peer is null)
            throw new TlsFatalAlert(AlertDescription.internal_error, "ECDH secret asked for before both key shares were known");
        byte[] shared = _local.DeriveRawSecretAgreement(_peer.PublicKey);
        try
        {
            return crypto.CreateSecret(shared);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            _local.Dispose();
            _peer.Dispose();
        }
    }
}

/// <summary>A peer's X.509 certificate whose ECDSA P-256 signatures are checked by OpenSSL; other keys fall back to BouncyCastle.</summary>
internal sealed class OpenSslVerifyingCertificate(BcTlsCrypto crypto, byte[] encoding) : BcTlsCertificate(crypto, encoding)
{
    public override TlsVerifier CreateVerifier(short signatureAlgorithm)
    {
        if (signatureAlgorithm != SignatureAlgorithm.ecdsa)
            return base.CreateVerifier(signatureAlgorithm);
        ValidateKeyUsage(KeyUsage.DigitalSignature);
        ECPublicKeyParameters key = GetPubKeyEC();
        if (!DtlsCertificate.IsP256(key.Parameters))
            return base.CreateVerifier(signatureAlgorithm);
        Org.BouncyCastle.Math.EC.ECPoint q = key.Q.Normalize();
        return new OpenSslEcdsaVerifier(ECDsa.Create(OpenSslTlsCrypto.P256PublicKey(
            q.AffineXCoord.GetEncoded(), q.AffineYCoord.GetEncoded())));
    }
}

/// <summary>TLS 1.2 "raw" ECDSA verification: the handshake hash, a DER-encoded signature.</summary>
internal sealed class OpenSslEcdsaVerifier(ECDsa key) : TlsVerifier
{
    public TlsStreamVerifier GetStreamVerifier(DigitallySigned digitallySigned) => null!;

    public bool VerifyRawSignature(DigitallySigned digitallySigned, byte[] hash)
    {
        SignatureAndHashAlgorithm algorithm = digitallySigned.Algorithm;
        if (algorithm is not null && algorithm.Signature != SignatureAlgorithm.ecdsa)
            throw new InvalidOperationException("Invalid algorithm: " + algorithm);
        // Before TLS 1.2 the hash was MD5 ‖ SHA-1 and ECDSA signed the SHA-1 part only.
        ReadOnlySpan<byte> signed = algorithm is null ? hash.AsSpan(16, 20) : hash;
        try
        {
            return key.VerifyHash(signed, digitallySigned.Signature, DSASignatureFormat.Rfc3279DerSequence);
        }
        finally
        {
            key.Dispose();
        }
    }
}

/// <summary>Signs ServerKeyExchange / CertificateVerify with the certificate's key on OpenSSL.</summary>
internal sealed class OpenSslEcdsaSigner(Certificate chain, DtlsCertificate certificate) : TlsCredentialedSigner
{
    public Certificate Certificate => chain;

    public SignatureAndHashAlgorithm SignatureAndHashAlgorithm => BouncyCastleDtls.EcdsaP256Sha256;

    public byte[] GenerateRawSignature(byte[] hash) => certificate.SignHash(hash);

    public TlsStreamSigner GetStreamSigner() => null!;
}
