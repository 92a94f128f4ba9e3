using System.Security.Cryptography;
using EdgeVoice.WebRtc.Srtp;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>
/// BouncyCastle's TLS crypto with the handshake's public-key operations on OpenSSL libcrypto: X25519 and P-256
/// ECDHE, and ECDSA P-256 verification of the peer's CertificateVerify. BouncyCastle's managed curve arithmetic is
/// 3-5 times slower than OpenSSL's (bench/EdgeVoice.Bench/Dtls); the record layer, hashes and PRF stay managed.
/// </summary>
internal sealed class OpenSslTlsCrypto(SecureRandom random) : BcTlsCrypto(random)
{
    public override TlsECDomain CreateECDomain(TlsECConfig ecConfig) => ecConfig.NamedGroup switch
    {
        NamedGroup.x25519 => new OpenSslX25519Domain(this),
        NamedGroup.secp256r1 => new OpenSslP256Domain(this),
        _ => base.CreateECDomain(ecConfig),
    };

    public override TlsCertificate CreateCertificate(short type, byte[] encoding) => type == CertificateType.X509
        ? new OpenSslVerifyingCertificate(this, encoding)
        : base.CreateCertificate(type, encoding);
}

internal sealed class OpenSslX25519Domain(BcTlsCrypto crypto) : TlsECDomain
{
    public TlsAgreement CreateECDH() => new OpenSslX25519Agreement(crypto);
}

internal sealed class OpenSslP256Domain(BcTlsCrypto crypto) : TlsECDomain
{
    public TlsAgreement CreateECDH() => new OpenSslP256Agreement(crypto);
}

/// <summary>One X25519 exchange (RFC 7748) through EVP_PKEY raw keys.</summary>
internal sealed unsafe class OpenSslX25519Agreement(BcTlsCrypto crypto) : TlsAgreement
{
    private const int KeySize = 32;
    private EvpPKeyHandle? _private;
    private byte[]? _peer;

    public byte[] GenerateEphemeral()
    {
        Span<byte> scalar = stackalloc byte[KeySize];
        RandomNumberGenerator.Fill(scalar);
        try
        {
            return GenerateEphemeral(scalar);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    /// <summary>Takes a given private scalar (RFC 7748 test vectors); OpenSSL clamps it.</summary>
    internal byte[] GenerateEphemeral(ReadOnlySpan<byte> scalar)
    {
        if (scalar.Length != KeySize)
            throw new ArgumentException($"an X25519 scalar is {KeySize} bytes", nameof(scalar));
        byte[] publicKey = new byte[KeySize];
        fixed (byte* s = scalar)
            _private = LibCrypto.EVP_PKEY_new_raw_private_key(LibCrypto.EVP_PKEY_X25519, 0, s, KeySize);
        if (_private.IsInvalid)
            throw LibCrypto.Failure("EVP_PKEY_new_raw_private_key");
        nuint length = KeySize;
        fixed (byte* p = publicKey)
        {
            if (LibCrypto.EVP_PKEY_get_raw_public_key(_private, p, &length) != 1 || length != KeySize)
                throw LibCrypto.Failure("EVP_PKEY_get_raw_public_key");
        }
        return publicKey;
    }

    public void ReceivePeerValue(byte[] peerValue)
    {
        if (peerValue is null || peerValue.Length != KeySize)
            throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        _peer = (byte[])peerValue.Clone();
    }

    public TlsSecret CalculateSecret()
    {
        if (_private is null || _peer is null)
            throw new TlsFatalAlert(AlertDescription.internal_error);
        try
        {
            EvpPKeyHandle peer;
            fixed (byte* p = _peer)
                peer = LibCrypto.EVP_PKEY_new_raw_public_key(LibCrypto.EVP_PKEY_X25519, 0, p, KeySize);
            using (peer)
            {
                if (peer.IsInvalid)
                    throw LibCrypto.Failure("EVP_PKEY_new_raw_public_key");
                using var context = LibCrypto.EVP_PKEY_CTX_new(_private, 0);
                if (context.IsInvalid || LibCrypto.EVP_PKEY_derive_init(context) != 1)
                    throw LibCrypto.Failure("EVP_PKEY_derive_init");
                if (LibCrypto.EVP_PKEY_derive_set_peer(context, peer) != 1)
                    throw Refused("X25519 peer key refused");
                byte[] secret = new byte[KeySize];
                nuint length = KeySize;
                // OpenSSL fails the derivation when the shared point is all zeros (RFC 7748 §6.1), as TLS requires.
                fixed (byte* s = secret)
                {
                    if (LibCrypto.EVP_PKEY_derive(context, s, &length) != 1 || length != KeySize)
                        throw Refused("X25519 agreement failed");
                }
                return crypto.CreateSecret(secret);
            }
        }
        finally
        {
            _private.Dispose();
            Array.Clear(_peer);
        }
    }

    private static TlsFatalAlert Refused(string detail)
    {
        LibCrypto.ERR_clear_error();
        return new TlsFatalAlert(AlertDescription.handshake_failure, detail);
    }
}

/// <summary>One ECDHE exchange on P-256 (RFC 8422): uncompressed points only, the peer's checked to be on the curve.</summary>
internal sealed unsafe class OpenSslP256Agreement(BcTlsCrypto crypto) : TlsAgreement
{
    private const int PointSize = 65;
    private const int SecretSize = 32;
    private EcKeyHandle? _key;
    private byte[]? _peer;

    public byte[] GenerateEphemeral()
    {
        _key = LibCrypto.EC_KEY_new_by_curve_name(LibCrypto.NID_X9_62_prime256v1);
        if (_key.IsInvalid || LibCrypto.EC_KEY_generate_key(_key) != 1)
            throw LibCrypto.Failure("EC_KEY_generate_key");
        byte[] point = new byte[PointSize];
        fixed (byte* p = point)
        {
            nuint written = LibCrypto.EC_POINT_point2oct(LibCrypto.EC_KEY_get0_group(_key), LibCrypto.EC_KEY_get0_public_key(_key),
                LibCrypto.POINT_CONVERSION_UNCOMPRESSED, p, PointSize, 0);
            if (written != PointSize)
                throw LibCrypto.Failure("EC_POINT_point2oct");
        }
        return point;
    }

    public void ReceivePeerValue(byte[] peerValue)
    {
        if (peerValue is null || peerValue.Length != PointSize || peerValue[0] != LibCrypto.POINT_CONVERSION_UNCOMPRESSED)
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "ECDHE point must be an uncompressed P-256 point");
        _peer = (byte[])peerValue.Clone();
    }

    public TlsSecret CalculateSecret()
    {
        if (_key is null || _peer is null)
            throw new TlsFatalAlert(AlertDescription.internal_error);
        try
        {
            using EcPointHandle peer = OpenSslEcPoint.Decode(LibCrypto.EC_KEY_get0_group(_key), _peer)
                ?? throw new TlsFatalAlert(AlertDescription.illegal_parameter, "ECDHE point is not on P-256");
            byte[] secret = new byte[SecretSize];
            fixed (byte* s = secret)
            {
                if (LibCrypto.ECDH_compute_key(s, SecretSize, peer, _key, 0) != SecretSize)
                {
                    LibCrypto.ERR_clear_error();
                    throw new TlsFatalAlert(AlertDescription.handshake_failure, "P-256 agreement failed");
                }
            }
            return crypto.CreateSecret(secret);
        }
        finally
        {
            _key.Dispose();
        }
    }
}

internal static unsafe class OpenSslEcPoint
{
    /// <summary>The point in <paramref name="encoding"/> on <paramref name="group"/>, or null when it is malformed or off the curve.</summary>
    public static EcPointHandle? Decode(nint group, ReadOnlySpan<byte> encoding)
    {
        var point = LibCrypto.EC_POINT_new(group);
        if (point.IsInvalid)
            throw LibCrypto.Failure("EC_POINT_new");
        fixed (byte* e = encoding)
        {
            if (LibCrypto.EC_POINT_oct2point(group, point, e, (nuint)encoding.Length, 0) == 1)
                return point;
        }
        LibCrypto.ERR_clear_error();
        point.Dispose();
        return null;
    }
}

/// <summary>An X.509 certificate whose ECDSA P-256 signatures are verified on OpenSSL; any other key stays with BouncyCastle.</summary>
internal sealed class OpenSslVerifyingCertificate(BcTlsCrypto crypto, byte[] encoding) : BcTlsCertificate(crypto, encoding)
{
    public override TlsVerifier CreateVerifier(short signatureAlgorithm)
    {
        if (signatureAlgorithm != SignatureAlgorithm.ecdsa || !IsP256(m_keyInfo))
            return base.CreateVerifier(signatureAlgorithm);
        if (!SupportsKeyUsage(KeyUsage.DigitalSignature))
            throw new TlsFatalAlert(AlertDescription.certificate_unknown, "KeyUsage does not allow digital signatures");
        return new OpenSslEcdsaVerifier(m_keyInfo.PublicKey.GetOctets());
    }

    private static bool IsP256(SubjectPublicKeyInfo keyInfo) =>
        keyInfo.Algorithm.Algorithm.Equals(X9ObjectIdentifiers.IdECPublicKey)
        && keyInfo.Algorithm.Parameters is DerObjectIdentifier curve
        && curve.Equals(SecObjectIdentifiers.SecP256r1);
}

/// <summary>ECDSA P-256 over the hash BouncyCastle computed from the transcript; the signature is the TLS DER encoding.</summary>
internal sealed unsafe class OpenSslEcdsaVerifier(byte[] publicPoint) : TlsVerifier
{
    public TlsStreamVerifier GetStreamVerifier(DigitallySigned digitallySigned) => null!;

    public bool VerifyRawSignature(DigitallySigned digitallySigned, byte[] hash)
    {
        SignatureAndHashAlgorithm? algorithm = digitallySigned.Algorithm;
        if (algorithm is not null && algorithm.Signature != SignatureAlgorithm.ecdsa)
            throw new InvalidOperationException("invalid algorithm: " + algorithm);
        byte[] signature = digitallySigned.Signature;
        using var key = LibCrypto.EC_KEY_new_by_curve_name(LibCrypto.NID_X9_62_prime256v1);
        if (key.IsInvalid)
            throw LibCrypto.Failure("EC_KEY_new_by_curve_name");
        using EcPointHandle? point = OpenSslEcPoint.Decode(LibCrypto.EC_KEY_get0_group(key), publicPoint);
        if (point is null)
            return false;
        if (LibCrypto.EC_KEY_set_public_key(key, point) != 1)
            throw LibCrypto.Failure("EC_KEY_set_public_key");
        int verified;
        fixed (byte* h = hash)
        fixed (byte* s = signature)
            verified = LibCrypto.ECDSA_verify(0, h, hash.Length, s, signature.Length, key);
        if (verified != 1)
            LibCrypto.ERR_clear_error();
        return verified == 1;
    }
}
