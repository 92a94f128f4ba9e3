using System.Security.Cryptography;
using EdgeVoice.WebRtc.Dtls;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;

namespace EdgeVoice.WebRtc.Tests.Dtls;

/// <summary>The OpenSSL-backed operations agree with BouncyCastle's managed ones, byte for byte where they can.</summary>
public class OpenSslTlsCryptoTests
{
    private static readonly byte[] Hash = SHA256.HashData("DTLS-SRTP handshake transcript"u8);

    [Fact]
    public void P256AgreementMatchesBouncyCastle()
    {
        TlsAgreement openSsl = BouncyCastleDtls.Crypto.CreateECDomain(new TlsECConfig(NamedGroup.secp256r1)).CreateECDH();
        TlsAgreement managed = BouncyCastleDtls.ManagedCrypto.CreateECDomain(new TlsECConfig(NamedGroup.secp256r1)).CreateECDH();
        Assert.IsType<OpenSslP256Agreement>(openSsl);
        byte[] openSslShare = openSsl.GenerateEphemeral();
        byte[] managedShare = managed.GenerateEphemeral();
        Assert.Equal(65, openSslShare.Length);
        openSsl.ReceivePeerValue(managedShare);
        managed.ReceivePeerValue(openSslShare);
        Assert.Equal(managed.CalculateSecret().Extract(), openSsl.CalculateSecret().Extract());
    }

    [Fact]
    public void P256AgreementRejectsBadPeerShares()
    {
        TlsAgreement agreement = BouncyCastleDtls.Crypto.CreateECDomain(new TlsECConfig(NamedGroup.secp256r1)).CreateECDH();
        byte[] share = agreement.GenerateEphemeral();
        byte[] offCurve = (byte[])share.Clone();
        offCurve[64] ^= 1;
        byte[] compressed = [0x02, .. share.AsSpan(1, 32)];
        foreach (byte[] bad in new[] { offCurve, compressed, share[..64], Array.Empty<byte>() })
        {
            var alert = Assert.Throws<TlsFatalAlert>(() => agreement.ReceivePeerValue(bad));
            Assert.Equal(AlertDescription.illegal_parameter, alert.AlertDescription);
        }
    }

    [Fact]
    public void OpenSslSignatureVerifiesInBouncyCastleAndTheOtherWayRound()
    {
        DtlsCertificate certificate = DtlsLink.ServerCertificate;
        byte[] openSslSignature = certificate.SignHash(Hash);

        var bcVerifier = new DsaDigestSigner(new ECDsaSigner(), new NullDigest());
        bcVerifier.Init(false, BouncyCastleDtls.ManagedCrypto.CreateCertificate(certificate.Der.ToArray()) is var cert
            ? ((Org.BouncyCastle.Tls.Crypto.Impl.BC.BcTlsCertificate)cert).GetPubKeyEC() : null);
        bcVerifier.BlockUpdate(Hash, 0, Hash.Length);
        Assert.True(bcVerifier.VerifySignature(openSslSignature));

        var bcSigner = new DsaDigestSigner(new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest())), new NullDigest());
        bcSigner.Init(true, certificate.PrivateKey);
        bcSigner.BlockUpdate(Hash, 0, Hash.Length);
        byte[] bcSignature = bcSigner.GenerateSignature();

        TlsVerifier verifier = BouncyCastleDtls.Crypto.CreateCertificate(certificate.Der.ToArray()).CreateVerifier(SignatureAlgorithm.ecdsa);
        Assert.IsType<OpenSslEcdsaVerifier>(verifier);
        var signed = new DigitallySigned(BouncyCastleDtls.EcdsaP256Sha256, bcSignature);
        Assert.True(verifier.VerifyRawSignature(signed, Hash));

        byte[] tampered = (byte[])Hash.Clone();
        tampered[0] ^= 1;
        TlsVerifier again = BouncyCastleDtls.Crypto.CreateCertificate(certificate.Der.ToArray()).CreateVerifier(SignatureAlgorithm.ecdsa);
        Assert.False(again.VerifyRawSignature(signed, tampered));
        TlsVerifier wrongKey = BouncyCastleDtls.Crypto.CreateCertificate(DtlsLink.ClientCertificate.Der.ToArray()).CreateVerifier(SignatureAlgorithm.ecdsa);
        Assert.False(wrongKey.VerifyRawSignature(signed, Hash));
    }

    [Fact]
    public void HandshakeUsesP256OnOpenSsl()
    {
        var link = new DtlsLink();
        link.Start();
        Assert.True(link.RunUntil(l => l.BothConnected));
        Assert.Equal(NamedGroup.secp256r1, link.Server.KeyExchangeGroup);
    }
}

public class ManagedCryptoServerTests
{
    /// <summary>The benchmark's baseline server (BouncyCastle's managed crypto, X25519) still completes with the OpenSSL-backed client.</summary>
    [Fact]
    public async Task ManagedServerCompletesWithTheOpenSslClient()
    {
        var settings = new DtlsPeerSettings(DtlsLink.ServerCertificate, DtlsLink.ClientCertificate.Fingerprint, DtlsSrtpProfiles.Default, 5_000, 1_000);
        var server = new SrtpDtlsServer(settings, BouncyCastleDtls.ManagedCrypto);
        DtlsClient? client = null;
        var pipe = new DtlsDatagramPipe(datagram => client!.HandleInput(datagram, TimeSpan.Zero));
        client = new DtlsClient(DtlsLink.ClientCertificate, DtlsLink.ServerCertificate.Fingerprint, outputReady: () =>
        {
            while (client!.TryPollTransmit(out ReadOnlyMemory<byte> datagram))
                pipe.TryPost(datagram.Span);
        });
        client.Start(TimeSpan.Zero);
        await Task.Run(() => server.Run(pipe)).WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(NamedGroup.x25519, server.Outcome.KeyExchangeGroup);
        Assert.True(SpinWait.SpinUntil(() => client.State == DtlsState.Connected, 1000));
        Assert.True(client.TryPollEvent(out DtlsEvent? e));
        Assert.Equal(server.Outcome.Keys!.ServerKey, Assert.IsType<DtlsEvent.Connected>(e).Keys.ServerKey);
        client.Close();
    }
}
