using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using EdgeVoice.WebRtc.Dtls;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace EdgeVoice.Bench.Dtls;

/// <summary>
/// Relay CPU per DTLS-SRTP handshake. <see cref="ServerHandshake"/> runs the relay's BouncyCastle server on the
/// benchmark thread (its thread CPU is printed at cleanup) against a DtlsClient worker, beside the same server with
/// BouncyCastle's own ECDSA signer; the public-key work a server does per handshake is timed on BouncyCastle and on
/// OpenSSL through .NET (the baseline, key import included where a handshake needs one), operation by operation.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class DtlsHandshakeBenchmarks
{
    private static readonly byte[] Transcript = RandomNumberGenerator.GetBytes(32);
    private DtlsCertificate _serverCertificate = null!;
    private DtlsCertificate _clientCertificate = null!;
    private readonly Dictionary<string, List<long>> _serverCpuNanoseconds = [];

    private SecureRandom _random = null!;
    private ECDomainParameters _p256 = null!;
    private ECPublicKeyParameters _bcPeerPublic = null!;
    private X25519PublicKeyParameters _bcPeerX25519 = null!;
    private ECPrivateKeyParameters _bcSigningKey = null!;
    private ECPublicKeyParameters _bcVerifyKey = null!;
    private BigInteger[] _bcPeerSignature = null!;

    private ECDsa _sslSigningKey = null!;
    private ECParameters _sslVerifyParameters;
    private ECParameters _sslPeerParameters;
    private byte[] _sslPeerSignature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _serverCertificate = DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), "bench relay");
        _clientCertificate = DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), "bench caller");

        _random = new SecureRandom();
        // The same (custom, fast) curve implementation BouncyCastle's TLS code gets for a named P-256 key.
        _p256 = ECNamedDomainParameters.LookupOid(SecObjectIdentifiers.SecP256r1);
        AsymmetricCipherKeyPair peer = GenerateP256();
        _bcPeerPublic = (ECPublicKeyParameters)peer.Public;
        _bcPeerX25519 = new X25519PrivateKeyParameters(_random).GeneratePublicKey();
        AsymmetricCipherKeyPair signing = GenerateP256();
        _bcSigningKey = (ECPrivateKeyParameters)signing.Private;
        AsymmetricCipherKeyPair verify = GenerateP256();
        _bcVerifyKey = (ECPublicKeyParameters)verify.Public;
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, verify.Private);
        _bcPeerSignature = signer.GenerateSignature(Transcript);

        _sslSigningKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var sslVerifyKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _sslPeerSignature = sslVerifyKey.SignHash(Transcript);
        _sslVerifyParameters = sslVerifyKey.ExportParameters(includePrivateParameters: false);
        using var sslPeer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        _sslPeerParameters = sslPeer.ExportParameters(includePrivateParameters: false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach ((string backend, List<long> samples) in _serverCpuNanoseconds)
        {
            samples.Sort();
            double Percentile(double p) => samples[(int)(p * (samples.Count - 1))] / 1e6;
            Console.WriteLine($"// DTLS server thread CPU per handshake, {backend}, over {samples.Count} handshakes (warm-up included): " +
                $"mean {samples.Average() / 1e6:0.000} ms, median {Percentile(0.5):0.000} ms, p90 {Percentile(0.9):0.000} ms");
        }
    }

    /// <summary>
    /// OpenSSL (through .NET): ephemeral P-256 ECDH with the peer's share imported, an ECDSA P-256 signature
    /// (ServerKeyExchange), a verify (CertificateVerify) with the peer's key imported, as a handshake needs them.
    /// </summary>
    [Benchmark(Baseline = true)]
    public bool OpenSslServerPublicKeyWork()
    {
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var peer = ECDiffieHellman.Create(_sslPeerParameters);
        byte[] secret = ecdh.DeriveRawSecretAgreement(peer.PublicKey);
        byte[] signature = _sslSigningKey.SignHash(Transcript);
        using var verifyKey = ECDsa.Create(_sslVerifyParameters);
        return verifyKey.VerifyHash(Transcript, _sslPeerSignature) && secret.Length == 32 && signature.Length == 64;
    }

    [Benchmark]
    public byte[] OpenSslEcdsaSign() => _sslSigningKey.SignHash(Transcript);

    /// <summary>The same work in BouncyCastle's managed code, with X25519 (what Chromium and the BouncyCastle client pick first).</summary>
    [Benchmark]
    public bool BouncyCastleServerPublicKeyWork() =>
        BouncyCastleX25519().Length == 32 && BouncyCastleEcdsaSign().Length == 2 && BouncyCastleEcdsaVerify();

    [Benchmark]
    public byte[] BouncyCastleX25519()
    {
        var key = new X25519PrivateKeyParameters(_random);
        _ = key.GeneratePublicKey();
        byte[] secret = new byte[32];
        key.GenerateSecret(_bcPeerX25519, secret, 0);
        return secret;
    }

    [Benchmark]
    public BigInteger BouncyCastleEcdhP256()
    {
        AsymmetricCipherKeyPair pair = GenerateP256();
        var agreement = new ECDHBasicAgreement();
        agreement.Init(pair.Private);
        return agreement.CalculateAgreement(_bcPeerPublic);
    }

    [Benchmark]
    public BigInteger[] BouncyCastleEcdsaSign()
    {
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, _bcSigningKey);
        return signer.GenerateSignature(Transcript);
    }

    [Benchmark]
    public bool BouncyCastleEcdsaVerify()
    {
        var verifier = new ECDsaSigner();
        verifier.Init(false, _bcVerifyKey);
        return verifier.VerifySignature(Transcript, _bcPeerSignature[0], _bcPeerSignature[1]);
    }

    /// <summary>One full handshake: the relay's server (OpenSSL public-key work) on this thread, a DtlsClient on its worker; wall time covers both sides.</summary>
    [Benchmark]
    public int ServerHandshake() => Handshake("relay (ECDSA signing on OpenSSL)", managedSigning: false);

    /// <summary>
    /// One handshake with the relay's signer, then one with BouncyCastle's managed signer: paired samples under
    /// the same machine load (thread CPU per variant printed at cleanup).
    /// </summary>
    [Benchmark]
    public int PairedSignerHandshakes() =>
        Handshake("paired: relay (ECDSA signing on OpenSSL)", managedSigning: false)
        + Handshake("paired: all BouncyCastle managed", managedSigning: true);

    private int Handshake(string backend, bool managedSigning)
    {
        DtlsPeerSettings settings = new(_serverCertificate, _clientCertificate.Fingerprint, DtlsSrtpProfiles.Default, 10_000, 1_000);
        var server = new SrtpDtlsServer(settings, managedSigning);
        DtlsClient? client = null;
        var pipe = new DtlsDatagramPipe(datagram => client!.HandleInput(datagram, TimeSpan.Zero));
        client = new DtlsClient(_clientCertificate, _serverCertificate.Fingerprint, outputReady: () =>
        {
            while (client!.TryPollTransmit(out ReadOnlyMemory<byte> datagram))
                pipe.TryPost(datagram.Span);
        });
        client.Start(TimeSpan.Zero);
        long start = ThreadCpuClock.NowNanoseconds();
        Org.BouncyCastle.Tls.DtlsTransport transport = server.Run(pipe);
        long used = ThreadCpuClock.NowNanoseconds() - start;
        if (!_serverCpuNanoseconds.TryGetValue(backend, out List<long>? samples))
            _serverCpuNanoseconds[backend] = samples = [];
        samples.Add(used);
        int exported = server.Outcome.Keys!.ServerKey.Length;
        // Let the client finish on the server's last flight so iterations do not overlap.
        SpinWait.SpinUntil(() => client.State != DtlsState.Handshaking, 1000);
        transport.Close();
        client.Close();
        return exported;
    }

    private AsymmetricCipherKeyPair GenerateP256()
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(_p256, _random));
        return generator.GenerateKeyPair();
    }
}
