using EdgeVoice.WebRtc.Dtls;

namespace EdgeVoice.WebRtc.Tests.Dtls;

public class DtlsFingerprintTests
{
    [Fact]
    public void CertificateFingerprintIsFormattedForSdp()
    {
        DtlsCertificate certificate = DtlsLink.ServerCertificate;
        Assert.Equal("sha-256", certificate.FingerprintAlgorithm);
        Assert.Matches("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", certificate.FingerprintHex);
        Assert.Equal($"sha-256 {certificate.FingerprintHex}", certificate.SdpFingerprint);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(certificate.Der.Span), certificate.Fingerprint.Digest.ToArray());
    }

    [Fact]
    public void ParsedFingerprintMatchesItsCertificateOnly()
    {
        Assert.True(DtlsFingerprint.TryParse(DtlsLink.ServerCertificate.SdpFingerprint, out DtlsFingerprint fingerprint, out DtlsError error));
        Assert.Equal(DtlsError.None, error);
        Assert.Equal(DtlsLink.ServerCertificate.Fingerprint, fingerprint);
        Assert.True(fingerprint.Matches(DtlsLink.ServerCertificate));
        Assert.False(fingerprint.Matches(DtlsLink.ClientCertificate));
        Assert.False(default(DtlsFingerprint).Matches(DtlsLink.ServerCertificate));
    }

    [Theory]
    [InlineData(DtlsHashAlgorithm.Sha1, "sha-1")]
    [InlineData(DtlsHashAlgorithm.Sha256, "SHA-256")]
    [InlineData(DtlsHashAlgorithm.Sha384, "sha-384")]
    [InlineData(DtlsHashAlgorithm.Sha512, "Sha-512")]
    public void AcceptsEachHashFunctionInAnyCaseAndLowerCaseHex(DtlsHashAlgorithm algorithm, string token)
    {
        byte[] der = DtlsLink.ClientCertificate.Der.ToArray();
        DtlsFingerprint computed = DtlsFingerprint.Compute(algorithm, der);
        string value = $"  {token}   {computed.Hex.ToLowerInvariant()} ";
        Assert.True(DtlsFingerprint.TryParse(value, out DtlsFingerprint parsed, out _));
        Assert.Equal(algorithm, parsed.Algorithm);
        Assert.Equal(DtlsFingerprint.DigestLength(algorithm), parsed.Digest.Length);
        Assert.True(parsed.Matches(der));
        Assert.Equal(computed, parsed);
        Assert.True(DtlsFingerprint.TryParse(parsed.ToString(), out DtlsFingerprint again, out _));
        Assert.Equal(parsed, again);
    }

    public static TheoryData<string, DtlsError> Malformed => new()
    {
        { "", DtlsError.BadFingerprintSyntax },
        { "sha-256", DtlsError.BadFingerprintSyntax },
        { " AB:CD", DtlsError.BadFingerprintSyntax },
        { "md5 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", DtlsError.UnsupportedHashAlgorithm },
        { "sha256 " + string.Join(':', Enumerable.Repeat("AB", 32)), DtlsError.UnsupportedHashAlgorithm },
        { "sha-256 " + string.Join(':', Enumerable.Repeat("AB", 31)), DtlsError.BadFingerprintSyntax },
        { "sha-256 " + string.Join(':', Enumerable.Repeat("AB", 33)), DtlsError.BadFingerprintSyntax },
        { "sha-256 " + string.Join('-', Enumerable.Repeat("AB", 32)), DtlsError.BadFingerprintSyntax },
        { "sha-256 " + string.Join(':', Enumerable.Repeat("AB", 31)) + ":G1", DtlsError.BadFingerprintSyntax },
        { "sha-256 " + string.Concat(Enumerable.Repeat("AB", 32)) + new string(' ', 31), DtlsError.BadFingerprintSyntax },
        { "sha-1 " + string.Join(':', Enumerable.Repeat("AB", 32)), DtlsError.BadFingerprintSyntax },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void RejectsMalformedValues(string value, DtlsError expected)
    {
        Assert.False(DtlsFingerprint.TryParse(value, out DtlsFingerprint fingerprint, out DtlsError error));
        Assert.Equal(expected, error);
        Assert.True(fingerprint.IsEmpty);
    }

    [Fact]
    public void RandomTextNeverThrows()
    {
        var random = new Random(8122);
        const string alphabet = "sha-1256384:ABCDEFabcdef0123456789 \t\u00e9x";
        for (int i = 0; i < 5000; i++)
        {
            char[] text = new char[random.Next(0, 120)];
            for (int j = 0; j < text.Length; j++)
                text[j] = alphabet[random.Next(alphabet.Length)];
            if (DtlsFingerprint.TryParse(text, out DtlsFingerprint parsed, out _))
                Assert.True(DtlsFingerprint.TryParse(parsed.ToString(), out DtlsFingerprint again, out _) && again == parsed);
        }
    }
}
