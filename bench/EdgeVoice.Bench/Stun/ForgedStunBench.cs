using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using EdgeVoice.WebRtc;
using EdgeVoice.WebRtc.Ice;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.Bench.Stun;

/// <summary>
/// The relay's drop path for a forged STUN check (classify, parse, split USERNAME, verify the ufrag token and fail),
/// beside the HMAC-SHA256 the ufrag tag cost before it became one AES block, the tag check alone on AES-NI and on
/// the fallback, and the cost of answering a valid check.
/// </summary>
[MemoryDiagnoser]
public class ForgedStunBench
{
    private static readonly byte[] Secret = Convert.FromHexString("8f3a61c2d4e5b6a798011223344556677889aabbccddeeff0011223344556677");
    private const string Password = "Rl7pQw2ZxV9sKd4tYb6cMn8f";
    private readonly byte[] _forged = new byte[128];
    private readonly byte[] _valid = new byte[128];
    private readonly byte[] _macInput = new byte[31];
    private readonly byte[] _response = new byte[1500];
    private readonly TransportAddress _from = TransportAddress.FromIPv4([203, 0, 113, 7], 50000);
    private int _forgedLength;
    private int _validLength;
    private IceLiteAgent _agent = null!;
    private UfragTokenVerifier _verifier = null!;
    private UfragTokenVerifier _fallbackVerifier = null!;
    private byte[] _forgedUfrag = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] transactionId = RandomNumberGenerator.GetBytes(12);
        // A well-formed check with a plausible 24-character ufrag whose tag does not verify: the attacker's best case.
        _forgedLength = StunWriter.WriteBindingRequest(_forged, transactionId, "Q2hyb21lRm9yZ2VkVWZyYWcx:aB3d"u8,
            0x6E0001FF, 0x1122334455667788, useCandidate: true, "guessed-password-123456"u8);
        string localUfrag = UfragToken.Mint(0x5E55_1011, Secret);
        _validLength = StunWriter.WriteBindingRequest(_valid, transactionId, Encoding.ASCII.GetBytes(localUfrag + ":aB3d"),
            0x6E0001FF, 0x1122334455667788, useCandidate: true, Encoding.ASCII.GetBytes(Password));
        _agent = new IceLiteAgent(localUfrag, Password, "aB3d", TimeSpan.Zero);
        _verifier = new UfragTokenVerifier(Secret);
        _fallbackVerifier = new UfragTokenVerifier(Secret, useAesNi: false);
        _forgedUfrag = "Q2hyb21lRm9yZ2VkVWZyYWcx"u8.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _verifier.Dispose();
        _fallbackVerifier.Dispose();
    }

    [Benchmark(Baseline = true, Description = "v1 tag: one HMAC-SHA256 (31 B)")]
    public byte HmacFloor()
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(Secret, _macInput, mac);
        return mac[0];
    }

    [Benchmark(Description = "forged ufrag rejected (AES-NI block)")]
    public bool UfragAesNi() => _verifier.TryRead(_forgedUfrag, out _);

    [Benchmark(Description = "forged ufrag rejected (fallback AES encryptor)")]
    public bool UfragFallback() => _fallbackVerifier.TryRead(_forgedUfrag, out _);

    [Benchmark(Description = "forged STUN check dropped (relay: kept key schedule)")]
    public bool ForgedDrop() => Admit(_forged.AsSpan(0, _forgedLength), out _);

    [Benchmark(Description = "forged STUN check dropped (one-shot key)")]
    public bool ForgedDropOneShot()
    {
        ReadOnlySpan<byte> datagram = _forged.AsSpan(0, _forgedLength);
        return PacketClassifier.Classify(datagram) == PacketKind.Stun
            && StunMessage.TryParse(datagram, out var message, out _)
            && message.IsBindingRequest
            && UfragToken.TrySplitUsername(message.Username, out var relayUfrag, out _)
            && UfragToken.TryRead(relayUfrag, Secret, out _);
    }

    [Benchmark(Description = "valid STUN check answered")]
    public int ValidAnswered()
    {
        ReadOnlySpan<byte> datagram = _valid.AsSpan(0, _validLength);
        if (!Admit(datagram, out _) || !StunMessage.TryParse(datagram, out var request, out _))
            return -1;
        _agent.HandleBindingRequest(request, _from, TimeSpan.FromSeconds(1), _response, out int length);
        return length;
    }

    // What the relay's UDP loop does before any session lookup.
    private bool Admit(ReadOnlySpan<byte> datagram, out ulong sessionId)
    {
        sessionId = 0;
        return PacketClassifier.Classify(datagram) == PacketKind.Stun
            && StunMessage.TryParse(datagram, out var message, out _)
            && message.IsBindingRequest
            && UfragToken.TrySplitUsername(message.Username, out var relayUfrag, out _)
            && _verifier.TryRead(relayUfrag, out sessionId);
    }
}
