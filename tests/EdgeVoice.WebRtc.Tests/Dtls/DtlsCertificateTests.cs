using System.Security.Cryptography;
using EdgeVoice.WebRtc.Dtls;

namespace EdgeVoice.WebRtc.Tests.Dtls;

public class DtlsCertificateTests : IClassFixture<DtlsWarmHandshake>
{
    [Fact]
    public void GeneratedCertificateIsEcdsaP256AndSelfSigned()
    {
        var now = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        DtlsCertificate certificate = DtlsCertificate.Generate(now, TimeSpan.FromDays(30));
        using var parsed = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.Der.ToArray());
        Assert.Equal(parsed.Subject, parsed.Issuer);
        using ECDsa? key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPublicKey(parsed);
        Assert.NotNull(key);
        Assert.Equal(256, key!.KeySize);
        Assert.Equal(now + TimeSpan.FromDays(30), certificate.NotAfter);
        Assert.True(parsed.NotBefore.ToUniversalTime() < now.UtcDateTime);
    }

    [Fact]
    public void PemRoundTripKeepsTheIdentity()
    {
        string folder = Directory.CreateTempSubdirectory("dtls-cert").FullName;
        try
        {
            string certPath = Path.Combine(folder, "relay.crt"), keyPath = Path.Combine(folder, "relay.key");
            DtlsLink.ServerCertificate.SavePem(certPath, keyPath);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            DtlsCertificate loaded = DtlsCertificate.LoadPem(certPath, keyPath);
            Assert.Equal(DtlsLink.ServerCertificate.Fingerprint, loaded.Fingerprint);
            Assert.Equal(DtlsLink.ServerCertificate.PrivateKeyPem, loaded.PrivateKeyPem);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void LoadsASec1EcPrivateKey()
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(DtlsLink.ClientCertificate.PrivateKeyPem);
        string sec1 = ecdsa.ExportECPrivateKeyPem();
        Assert.Contains("BEGIN EC PRIVATE KEY", sec1);
        Assert.True(DtlsCertificate.TryFromPem(DtlsLink.ClientCertificate.CertificatePem, sec1, out DtlsCertificate? loaded, out _, out _));
        Assert.Equal(DtlsLink.ClientCertificate.Fingerprint, loaded!.Fingerprint);
    }

    [Fact]
    public void LoadedCertificateCompletesAHandshake()
    {
        Assert.True(DtlsCertificate.TryFromPem(DtlsLink.ServerCertificate.CertificatePem, DtlsLink.ServerCertificate.PrivateKeyPem, out DtlsCertificate? loaded, out _, out _));
        // Same identity, a new object: the fingerprint the client pinned still matches.
        var link = new DtlsLink(serverCertificate: loaded);
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected));
    }

    [Fact]
    public void RejectsAKeyThatIsNotTheCertificates()
    {
        Assert.False(DtlsCertificate.TryFromPem(DtlsLink.ServerCertificate.CertificatePem, DtlsLink.ClientCertificate.PrivateKeyPem, out _, out DtlsError error, out string detail));
        Assert.Equal(DtlsError.KeyDoesNotMatchCertificate, error);
        Assert.NotEmpty(detail);
    }

    [Fact]
    public void RejectsJunkAndRsaInput()
    {
        Assert.False(DtlsCertificate.TryFromPem("not pem", DtlsLink.ServerCertificate.PrivateKeyPem, out _, out DtlsError error, out _));
        Assert.Equal(DtlsError.BadCertificate, error);
        string wrongLabel = DtlsLink.ServerCertificate.CertificatePem.Replace("CERTIFICATE", "PUBLIC KEY");
        Assert.False(DtlsCertificate.TryFromPem(wrongLabel, DtlsLink.ServerCertificate.PrivateKeyPem, out _, out error, out _));
        Assert.Equal(DtlsError.BadCertificate, error);
        string truncated = PemEncoding.WriteString("CERTIFICATE", DtlsLink.ServerCertificate.Der.Span[..40]);
        Assert.False(DtlsCertificate.TryFromPem(truncated, DtlsLink.ServerCertificate.PrivateKeyPem, out _, out error, out _));
        Assert.Equal(DtlsError.BadCertificate, error);
        Assert.False(DtlsCertificate.TryFromPem(DtlsLink.ServerCertificate.CertificatePem, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", out _, out error, out _));
        Assert.Equal(DtlsError.BadPrivateKey, error);

        using RSA rsa = RSA.Create(1024);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var rsaCert = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        Assert.False(DtlsCertificate.TryFromPem(rsaCert.ExportCertificatePem(), rsa.ExportPkcs8PrivateKeyPem(), out _, out error, out string detail));
        Assert.Equal(DtlsError.BadCertificate, error);
        Assert.Contains("P-256", detail);
    }

    [Fact]
    public void LoadPemNamesTheFileOnError()
    {
        string folder = Directory.CreateTempSubdirectory("dtls-cert").FullName;
        try
        {
            string certPath = Path.Combine(folder, "relay.crt"), keyPath = Path.Combine(folder, "relay.key");
            File.WriteAllText(certPath, "junk");
            File.WriteAllText(keyPath, DtlsLink.ServerCertificate.PrivateKeyPem);
            var e = Assert.Throws<InvalidDataException>(() => DtlsCertificate.LoadPem(certPath, keyPath));
            Assert.Contains(certPath, e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
