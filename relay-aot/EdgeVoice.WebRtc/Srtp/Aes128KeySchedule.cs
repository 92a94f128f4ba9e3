using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Aes = System.Runtime.Intrinsics.X86.Aes;

namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// The eleven AES-128 round keys on AES-NI (FIPS 197 §5.2) and one block encrypted under them: the assembly's one
/// copy, used by SRTP's AES-GCM (<see cref="AesNiGcm"/>, whose interleaved loops read the round keys directly) and
/// by the ICE ufrag tag. Needs <see cref="Aes.IsSupported"/>; the caller checks it and the 16-byte key length.
/// </summary>
internal struct Aes128KeySchedule
{
    public Vector128<byte> K0, K1, K2, K3, K4, K5, K6, K7, K8, K9, K10;

    public Aes128KeySchedule(ReadOnlySpan<byte> key)
    {
        // KeygenAssist takes its round constant as an immediate, hence one line per round.
        K0 = Vector128.Create(key);
        K1 = Next(K0, Aes.KeygenAssist(K0, 0x01));
        K2 = Next(K1, Aes.KeygenAssist(K1, 0x02));
        K3 = Next(K2, Aes.KeygenAssist(K2, 0x04));
        K4 = Next(K3, Aes.KeygenAssist(K3, 0x08));
        K5 = Next(K4, Aes.KeygenAssist(K4, 0x10));
        K6 = Next(K5, Aes.KeygenAssist(K5, 0x20));
        K7 = Next(K6, Aes.KeygenAssist(K6, 0x40));
        K8 = Next(K7, Aes.KeygenAssist(K7, 0x80));
        K9 = Next(K8, Aes.KeygenAssist(K8, 0x1b));
        K10 = Next(K9, Aes.KeygenAssist(K9, 0x36));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector128<byte> Encrypt(Vector128<byte> block)
    {
        block ^= K0;
        block = Aes.Encrypt(block, K1);
        block = Aes.Encrypt(block, K2);
        block = Aes.Encrypt(block, K3);
        block = Aes.Encrypt(block, K4);
        block = Aes.Encrypt(block, K5);
        block = Aes.Encrypt(block, K6);
        block = Aes.Encrypt(block, K7);
        block = Aes.Encrypt(block, K8);
        block = Aes.Encrypt(block, K9);
        return Aes.EncryptLast(block, K10);
    }

    /// <summary>The next round key from the previous one and its KeygenAssist word.</summary>
    private static Vector128<byte> Next(Vector128<byte> key, Vector128<byte> assist)
    {
        assist = Sse2.Shuffle(assist.AsUInt32(), 0xff).AsByte();
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        return key ^ assist;
    }
}
