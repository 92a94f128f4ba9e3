using System.Security.Cryptography;
using EdgeVoice.WebRtc.Dtls;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace EdgeVoice.WebRtc.Tests.Dtls;

/// <summary>Signatures made on OpenSSL verify in BouncyCastle, and BouncyCastle's own signer still interoperates.</summary>
public class OpenSslEcdsaSignerTests : IClassFixture<DtlsWarmHandshake>
{
    private static readonly byte[] Hash = SHA256.HashData("DTLS-SRTP handshake transcript"u8);

    [Fact]
    public void OpenSslSignatureVerifiesInBouncyCastle()
    {
        DtlsCertificate certificate = DtlsLink.ServerCertificate;
        byte[] signature = certificate.SignHash(Hash);

        TlsVerifier verifier = BouncyCastleDtls.Crypto.CreateCertificate(certificate.Der.ToArray()).CreateVerifier(SignatureAlgorithm.ecdsa);
        var signed = new DigitallySigned(BouncyCastleDtls.EcdsaP256Sha256, signature);
        Assert.True(verifier.VerifyRawSignature(signed, Hash));
        byte[] tampered = (byte[])Hash.Clone();
        tampered[0] ^= 1;
        Assert.False(verifier.VerifyRawSignature(signed, tampered));
        TlsVerifier wrongKey = BouncyCastleDtls.Crypto.CreateCertificate(DtlsLink.ClientCertificate.Der.ToArray()).CreateVerifier(SignatureAlgorithm.ecdsa);
        Assert.False(wrongKey.VerifyRawSignature(signed, Hash));
    }

    [Fact]
    public void BouncyCastleSignatureVerifiesOnOpenSsl()
    {
        var signer = new DsaDigestSigner(new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest())), new NullDigest());
        signer.Init(true, DtlsLink.ServerCertificate.PrivateKey);
        signer.BlockUpdate(Hash, 0, Hash.Length);
        byte[] signature = signer.GenerateSignature();
        using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(DtlsLink.ServerCertificate.Der.ToArray());
        using ECDsa key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPublicKey(certificate)!;
        Assert.True(key.VerifyHash(Hash, signature, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void HandshakeTakesTheClientsFirstGroup()
    {
        var link = new DtlsLink();
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected));
        Assert.Equal(NamedGroup.x25519, link.Server.KeyExchangeGroup);
        Assert.Equal(-1, link.Client.KeyExchangeGroup);
    }

    /// <summary>The benchmark's baseline server (BouncyCastle's managed ECDSA signer) still completes a handshake.</summary>
    [Fact]
    public async Task ManagedSigningServerCompletesAHandshake()
    {
        var settings = new DtlsPeerSettings(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint, DtlsSrtpProfiles.Default, 5_000, 1_000);
        var server = new SrtpDtlsServer(settings, managedSigning: true);
        DtlsClient? client = null;
        var pipe = new DtlsDatagramPipe(datagram => client!.HandleInput(datagram, TimeSpan.Zero));
        client = new DtlsClient(DtlsLink.ClientCertificate, DtlsLink.ServerCertificate.Fingerprint, outputReady: () =>
        {
            while (client!.TryPollTransmit(out ReadOnlyMemory<byte> datagram))
                pipe.TryPost(datagram.Span);
        });
        client.Start(TimeSpan.Zero);
        await Task.Run(() => server.Run(pipe)).WaitAsync(TimeSpan.FromSeconds(2));
        Assert.True(SpinWait.SpinUntil(() => client.State == DtlsState.Connected, 1000));
        Assert.True(client.TryPollEvent(out DtlsEvent? e));
        Assert.Equal(server.Outcome.Keys!.ServerKey, Assert.IsType<DtlsEvent.Connected>(e).Keys.ServerKey);
        client.Close();
    }
}
