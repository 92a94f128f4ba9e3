using System.Security.Cryptography;
using EdgeVoice.WebRtc.Dtls;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace EdgeVoice.WebRtc.Tests.Dtls;

/// <summary>
/// The relay's OpenSSL-backed handshake crypto: RFC 7748 and RFC 6979 vectors, agreement with BouncyCastle's own
/// implementation on both groups, and bad peer values (low-order, off-curve, compressed, random) refused with an alert.
/// </summary>
public class OpenSslTlsCryptoTests
{
    private static readonly OpenSslTlsCrypto Crypto = new(new SecureRandom());

    // RFC 7748 §6.1: Alice's and Bob's X25519 keys and their shared secret.
    private const string AlicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private const string AlicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private const string BobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private const string BobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private const string SharedSecret = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    [Theory]
    [InlineData(AlicePrivate, AlicePublic, BobPublic)]
    [InlineData(BobPrivate, BobPublic, AlicePublic)]
    public void X25519MatchesRfc7748(string privateHex, string publicHex, string peerHex)
    {
        var agreement = new OpenSslX25519Agreement(Crypto);
        byte[] ownPublic = agreement.GenerateEphemeral(Convert.FromHexString(privateHex));
        Assert.Equal(publicHex, Convert.ToHexStringLower(ownPublic));
        agreement.ReceivePeerValue(Convert.FromHexString(peerHex));
        Assert.Equal(SharedSecret, Convert.ToHexStringLower(agreement.CalculateSecret().Extract()));
    }

    [Theory]
    [InlineData(NamedGroup.x25519)]
    [InlineData(NamedGroup.secp256r1)]
    public void AgreesWithBouncyCastle(int group)
    {
        TlsAgreement ours = Crypto.CreateECDomain(new TlsECConfig(group)).CreateECDH();
        TlsAgreement theirs = BouncyCastleDtls.Crypto.CreateECDomain(new TlsECConfig(group)).CreateECDH();
        Assert.IsNotType<BcX25519>(ours);
        Assert.IsNotType<BcTlsECDH>(ours);
        byte[] ourPublic = ours.GenerateEphemeral();
        byte[] theirPublic = theirs.GenerateEphemeral();
        ours.ReceivePeerValue(theirPublic);
        theirs.ReceivePeerValue(ourPublic);
        byte[] a = ours.CalculateSecret().Extract();
        byte[] b = theirs.CalculateSecret().Extract();
        Assert.Equal(32, a.Length);
        Assert.Equal(b, a);
    }

    public static TheoryData<string, string> BadX25519Points => new()
    {
        { "zero point (low order)", new string('0', 64) },
        { "point of order 8", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800" },
        { "one (low order)", "0100000000000000000000000000000000000000000000000000000000000000" },
    };

    [Theory]
    [MemberData(nameof(BadX25519Points))]
    public void X25519RefusesLowOrderPoints(string what, string pointHex)
    {
        var agreement = Crypto.CreateECDomain(new TlsECConfig(NamedGroup.x25519)).CreateECDH();
        agreement.GenerateEphemeral();
        agreement.ReceivePeerValue(Convert.FromHexString(pointHex));
        var alert = Assert.Throws<TlsFatalAlert>(() => agreement.CalculateSecret());
        Assert.True(alert.AlertDescription == AlertDescription.handshake_failure, what);
    }

    public static TheoryData<string, byte[]> MalformedPeerValues => new()
    {
        { "empty", [] },
        { "x25519 length", new byte[32] },
        { "compressed point", [0x02, .. new byte[32]] },
        { "hybrid prefix", [0x06, .. new byte[64]] },
        { "one byte long", [0x04, .. new byte[65]] },
    };

    [Theory]
    [MemberData(nameof(MalformedPeerValues))]
    public void P256RefusesMalformedPoints(string what, byte[] value)
    {
        var agreement = Crypto.CreateECDomain(new TlsECConfig(NamedGroup.secp256r1)).CreateECDH();
        agreement.GenerateEphemeral();
        var alert = Assert.Throws<TlsFatalAlert>(() => agreement.ReceivePeerValue(value));
        Assert.True(alert.AlertDescription == AlertDescription.illegal_parameter, what);
    }

    [Fact]
    public void RandomPeerValuesOnlyEverFailWithAnAlert()
    {
        var random = new Random(7748);
        int refused = 0;
        for (int i = 0; i < 2000; i++)
        {
            int group = i % 2 == 0 ? NamedGroup.x25519 : NamedGroup.secp256r1;
            byte[] value = new byte[group == NamedGroup.x25519 ? 32 : 65];
            random.NextBytes(value);
            if (group == NamedGroup.secp256r1 && i % 4 == 1)
                value[0] = 4; // uncompressed prefix, random coordinates: almost never on the curve
            var agreement = Crypto.CreateECDomain(new TlsECConfig(group)).CreateECDH();
            agreement.GenerateEphemeral();
            try
            {
                agreement.ReceivePeerValue(value);
                Assert.Equal(32, agreement.CalculateSecret().Extract().Length);
            }
            catch (TlsFatalAlert)
            {
                refused++;
            }
        }
        // Every random P-256 value is refused; random X25519 values are valid public keys (any 32 bytes are).
        Assert.InRange(refused, 1000, 1010);
    }

    // RFC 6979 A.2.5: P-256 public key and the deterministic ECDSA signatures with SHA-256.
    private const string Rfc6979Public = "04" + "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
        + "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299";

    [Theory]
    [InlineData("sample", "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716", "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8")]
    [InlineData("test", "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367", "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083")]
    public void VerifiesRfc6979Signatures(string message, string r, string s)
    {
        var verifier = new OpenSslEcdsaVerifier(Convert.FromHexString(Rfc6979Public));
        byte[] hash = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(message));
        byte[] der = DerSignature(Convert.FromHexString(r), Convert.FromHexString(s));
        Assert.True(verifier.VerifyRawSignature(new DigitallySigned(BouncyCastleDtls.EcdsaP256Sha256, der), hash));
        hash[^1] ^= 1;
        Assert.False(verifier.VerifyRawSignature(new DigitallySigned(BouncyCastleDtls.EcdsaP256Sha256, der), hash));
    }

    [Fact]
    public void CertificateVerifierAcceptsOnlyTheKeysSignature()
    {
        byte[] hash = SHA256.HashData("client CertificateVerify transcript"u8);
        var signer = new DsaDigestSigner(new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest())), new NullDigest());
        signer.Init(true, DtlsLink.ClientCertificate.PrivateKey);
        signer.BlockUpdate(hash, 0, hash.Length);
        var signed = new DigitallySigned(BouncyCastleDtls.EcdsaP256Sha256, signer.GenerateSignature());

        TlsVerifier verifier = Crypto.CreateCertificate(DtlsLink.ClientCertificate.Der.ToArray()).CreateVerifier(SignatureAlgorithm.ecdsa);
        Assert.IsType<OpenSslEcdsaVerifier>(verifier);
        Assert.True(verifier.VerifyRawSignature(signed, hash));
        TlsVerifier wrongKey = Crypto.CreateCertificate(DtlsLink.ServerCertificate.Der.ToArray()).CreateVerifier(SignatureAlgorithm.ecdsa);
        Assert.False(wrongKey.VerifyRawSignature(signed, hash));
    }

    [Fact]
    public void RandomSignaturesAreRefusedWithoutThrowing()
    {
        var random = new Random(6979);
        TlsVerifier verifier = Crypto.CreateCertificate(DtlsLink.ClientCertificate.Der.ToArray()).CreateVerifier(SignatureAlgorithm.ecdsa);
        byte[] hash = SHA256.HashData("transcript"u8);
        for (int i = 0; i < 2000; i++)
        {
            byte[] signature = new byte[random.Next(0, 80)];
            random.NextBytes(signature);
            if (i % 2 == 0 && signature.Length > 8)
            {
                // Well-formed DER around random integers, so the check reaches the curve arithmetic.
                signature = DerSignature(signature[..(signature.Length / 2)], signature[(signature.Length / 2)..]);
            }
            Assert.False(verifier.VerifyRawSignature(new DigitallySigned(BouncyCastleDtls.EcdsaP256Sha256, signature), hash));
        }
    }

    private static byte[] DerSignature(byte[] r, byte[] s)
    {
        static byte[] Minimal(byte[] value)
        {
            int first = Array.FindIndex(value, b => b != 0);
            return first < 0 ? [0] : value[first..];
        }
        r = Minimal(r);
        s = Minimal(s);
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(r);
            writer.WriteIntegerUnsigned(s);
        }
        return writer.Encode();
    }
}
