using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.Bench.Srtp;

/// <summary>
/// SRTP protect and unprotect per packet, on the packets of ../shared/baselines/crypto_floor.c and
/// srtp_bench.c: 12-byte RTP header + 160-byte payload, one SSRC, consecutive seq, batches of 1024.
/// bench/srtp.sh runs those baselines in the same run and prints the ratios. With EDGEVOICE_SRTP_GCM=libcrypto
/// in the environment, GCM runs on libcrypto instead of AES-NI (to measure the fallback, or the old path).
/// </summary>
[MemoryDiagnoser]
public class SrtpBench
{
    private const int Header = 12;
    private const int Payload = 160;
    private const int Batch = 1024;
    private const int Slot = Header + Payload + SrtpContext.MaxOverhead;
    private const uint Ssrc = 0x5eed1234;

    private readonly byte[] _plain = new byte[Header + Payload];
    private readonly byte[] _slots = new byte[Batch * Slot];
    private readonly byte[] _protected = new byte[Batch * Slot];
    private readonly int[] _protectedLengths = new int[Batch];
    private SrtpContext _sender = null!;
    private SrtpContext _receiver = null!;
    private uint _sequence;

    [Params(SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm)]
    public SrtpProfile Profile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Environment.GetEnvironmentVariable("EDGEVOICE_SRTP_GCM") == "libcrypto")
            AppContext.SetSwitch(GcmCipher.UseLibCryptoSwitch, true);
        Console.WriteLine($"// GCM path: {GcmCipher.Implementation}");
        byte[] key = new byte[16], salt = new byte[Profile.SaltLength()];
        for (int i = 0; i < key.Length; i++)
            key[i] = (byte)(0x11 * i + 7);
        for (int i = 0; i < salt.Length; i++)
            salt[i] = (byte)(0x3d * i + 5);
        for (int i = 0; i < Payload; i++)
            _plain[Header + i] = (byte)(i * 37 + 1);
        _sender = new SrtpContext(Profile, key, salt);
        _receiver = new SrtpContext(Profile, key, salt);

        // One batch protected by a separate sender, for the unprotect benchmark to replay.
        using var sender = new SrtpContext(Profile, key, salt);
        for (int i = 0; i < Batch; i++)
        {
            Span<byte> slot = _protected.AsSpan(i * Slot, Slot);
            _plain.CopyTo(slot);
            WriteHeader(slot, (uint)i);
            if (!sender.TryProtectRtp(slot, _plain.Length, out _protectedLengths[i], out var error))
                throw new InvalidOperationException($"protect failed: {error}");
        }
        // Every packet must round-trip before anything is timed.
        UnprotectBatch();
        for (int i = 0; i < Batch; i++)
            if (!_slots.AsSpan(i * Slot + Header, Payload).SequenceEqual(_plain.AsSpan(Header)))
                throw new InvalidOperationException($"round trip mismatch at packet {i}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }

    /// <summary>Per packet: copy the plaintext into its slot, write seq/ts, protect (as crypto_floor's protect loop).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Protect()
    {
        int total = 0;
        for (int i = 0; i < Batch; i++)
        {
            Span<byte> slot = _slots.AsSpan(i * Slot, Slot);
            _plain.CopyTo(slot);
            WriteHeader(slot, _sequence++);
            if (!_sender.TryProtectRtp(slot, _plain.Length, out int length, out _))
                throw new InvalidOperationException("protect failed");
            total += length;
        }
        return total;
    }

    /// <summary>Per packet: copy a protected packet into its slot, unprotect (replay check, tag, decrypt, window update).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Unprotect() => UnprotectBatch();

    private int UnprotectBatch()
    {
        int total = 0;
        for (int i = 0; i < Batch; i++)
        {
            Span<byte> slot = _slots.AsSpan(i * Slot, Slot);
            _protected.AsSpan(i * Slot, _protectedLengths[i]).CopyTo(slot);
            if (!_receiver.TryUnprotectRtp(slot, _protectedLengths[i], out int length, out var error))
                throw new InvalidOperationException($"unprotect failed: {error}");
            total += length;
        }
        _receiver.ForgetSources(); // the same batch is replayed next time
        return total;
    }

    private static void WriteHeader(Span<byte> packet, uint sequence)
    {
        packet[0] = 0x80;
        packet[1] = 111;
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], sequence * 960);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], Ssrc);
    }
}
