using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>The relay's (or a test caller's) DTLS identity: a self-signed ECDSA P-256 certificate and its key.</summary>
public sealed class DtlsCertificate
{
    private readonly byte[] _der;
    private readonly Lock _signingGate = new();
    private ECDsa? _signingKey;
    private Org.BouncyCastle.Tls.Certificate? _tlsChain;

    private DtlsCertificate(byte[] der, ECPrivateKeyParameters privateKey, DateTimeOffset notAfter)
    {
        _der = der;
        PrivateKey = privateKey;
        NotAfter = notAfter;
        Fingerprint = DtlsFingerprint.Compute(DtlsHashAlgorithm.Sha256, der);
    }

    /// <summary>The certificate in DER, as sent in the handshake.</summary>
    public ReadOnlyMemory<byte> Der => _der;

    public DateTimeOffset NotAfter { get; }

    /// <summary>SHA-256 fingerprint of <see cref="Der"/>.</summary>
    public DtlsFingerprint Fingerprint { get; }

    /// <summary>"sha-256".</summary>
    public string FingerprintAlgorithm => Fingerprint.AlgorithmName;

    /// <summary>"AB:CD:...".</summary>
    public string FingerprintHex => Fingerprint.Hex;

    /// <summary>The value of the answer's <c>a=fingerprint:</c> line: "sha-256 AB:CD:...".</summary>
    public string SdpFingerprint => Fingerprint.ToString();

    internal ECPrivateKeyParameters PrivateKey { get; }

    /// <summary>The one-certificate chain sent in every handshake, parsed once (BouncyCastle only reads it).</summary>
    internal Org.BouncyCastle.Tls.Certificate TlsChain => _tlsChain ??= new([BouncyCastleDtls.Crypto.CreateCertificate(_der)]);

    /// <summary>Makes a fresh key and a self-signed certificate valid from a day before <paramref name="now"/> for <paramref name="lifetime"/>.</summary>
    public static DtlsCertificate Generate(DateTimeOffset now, TimeSpan lifetime, string commonName = "EdgeVoice relay")
    {
        var random = new SecureRandom();
        var generator = new ECKeyPairGenerator("EC");
        generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random));
        AsymmetricCipherKeyPair pair = generator.GenerateKeyPair();

        var name = new X509Name("CN=" + commonName);
        var builder = new X509V3CertificateGenerator();
        // A positive 63-bit serial: unique enough for a self-signed WebRTC certificate (peers check the fingerprint only).
        builder.SetSerialNumber(BigInteger.ValueOf(RandomNumberGenerator.GetInt32(1, int.MaxValue)).ShiftLeft(31).Add(BigInteger.ValueOf(RandomNumberGenerator.GetInt32(0, int.MaxValue))));
        builder.SetIssuerDN(name);
        builder.SetSubjectDN(name);
        DateTimeOffset notBefore = now - TimeSpan.FromDays(1);
        DateTimeOffset notAfter = now + lifetime;
        builder.SetNotBefore(notBefore.UtcDateTime);
        builder.SetNotAfter(notAfter.UtcDateTime);
        builder.SetPublicKey(pair.Public);
        X509Certificate certificate = builder.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", pair.Private, random));
        return new DtlsCertificate(certificate.GetEncoded(), (ECPrivateKeyParameters)pair.Private, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }

    /// <summary>Loads a certificate ("CERTIFICATE") and its key ("PRIVATE KEY" or "EC PRIVATE KEY") from PEM text.</summary>
    public static bool TryFromPem(string certificatePem, string privateKeyPem, out DtlsCertificate? certificate, out DtlsError error, out string detail)
    {
        certificate = null;
        if (!PemEncoding.TryFind(certificatePem, out PemFields fields) || certificatePem.AsSpan(fields.Label) is not "CERTIFICATE")
        {
            (error, detail) = (DtlsError.BadCertificate, "no PEM block labelled CERTIFICATE");
            return false;
        }
        byte[] der = Convert.FromBase64String(certificatePem[fields.Base64Data]);
        X509Certificate parsed;
        try
        {
            parsed = new X509CertificateParser().ReadCertificate(der);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or CertificateException)
        {
            (error, detail) = (DtlsError.BadCertificate, "certificate is not valid DER X.509: " + e.Message);
            return false;
        }
        if (parsed is null || parsed.GetPublicKey() is not ECPublicKeyParameters publicKey || !IsP256(publicKey.Parameters))
        {
            (error, detail) = (DtlsError.BadCertificate, "certificate key must be ECDSA P-256");
            return false;
        }

        ECPrivateKeyParameters privateKey;
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportFromPem(privateKeyPem);
            privateKey = (ECPrivateKeyParameters)PrivateKeyFactory.CreateKey(ecdsa.ExportPkcs8PrivateKey());
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or InvalidCastException or IOException)
        {
            (error, detail) = (DtlsError.BadPrivateKey, "private key is not a PEM EC key: " + e.Message);
            return false;
        }
        if (!IsP256(privateKey.Parameters) || !privateKey.Parameters.G.Multiply(privateKey.D).Normalize().Equals(publicKey.Q.Normalize()))
        {
            (error, detail) = (DtlsError.KeyDoesNotMatchCertificate, "private key does not belong to the certificate");
            return false;
        }
        certificate = new DtlsCertificate(der, privateKey, new DateTimeOffset(parsed.NotAfter.ToUniversalTime(), TimeSpan.Zero));
        (error, detail) = (DtlsError.None, "");
        return true;
    }

    /// <summary>Loads a configured certificate; a bad file fails loudly, naming the file.</summary>
    public static DtlsCertificate LoadPem(string certificatePath, string privateKeyPath)
    {
        string certificatePem = File.ReadAllText(certificatePath);
        string keyPem = File.ReadAllText(privateKeyPath);
        if (!TryFromPem(certificatePem, keyPem, out DtlsCertificate? certificate, out DtlsError error, out string detail))
        {
            string file = error == DtlsError.BadCertificate ? certificatePath : privateKeyPath;
            throw new InvalidDataException($"DTLS certificate {certificatePath} / key {privateKeyPath}: {error}: {detail} (in {file}); give an ECDSA P-256 certificate and its key, or leave both unset to generate one at start).");
        }
        return certificate!;
    }

    public string CertificatePem => PemEncoding.WriteString("CERTIFICATE", _der);

    /// <summary>The key as unencrypted PKCS#8 PEM ("PRIVATE KEY").</summary>
    public string PrivateKeyPem => PemEncoding.WriteString("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(PrivateKey).GetDerEncoded());

    /// <summary>Writes both files; the key file is created readable by its owner only.</summary>
    public void SavePem(string certificatePath, string privateKeyPath)
    {
        File.WriteAllText(certificatePath, CertificatePem);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(privateKeyPath, options);
        using var writer = new StreamWriter(stream);
        writer.Write(PrivateKeyPem);
    }

    /// <summary>ECDSA over <paramref name="hash"/> with this key on OpenSSL, DER-encoded as TLS carries it.</summary>
    internal byte[] SignHash(ReadOnlySpan<byte> hash)
    {
        lock (_signingGate)
        {
            if (_signingKey is null)
            {
                _signingKey = ECDsa.Create();
                _signingKey.ImportPkcs8PrivateKey(PrivateKeyInfoFactory.CreatePrivateKeyInfo(PrivateKey).GetDerEncoded(), out _);
            }
            return _signingKey.SignHash(hash, DSASignatureFormat.Rfc3279DerSequence);
        }
    }

    internal static bool IsP256(ECDomainParameters parameters)
    {
        X9ECParameters p256 = SecNamedCurves.GetByOid(SecObjectIdentifiers.SecP256r1);
        return parameters.Curve.Equals(p256.Curve) && parameters.G.Equals(p256.G);
    }
}
