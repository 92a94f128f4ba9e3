using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CryptographicOperations = System.Security.Cryptography.CryptographicOperations;
using Aes = System.Runtime.Intrinsics.X86.Aes;

namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// AES-128-GCM (12-byte nonce, 16-byte tag) on AES-NI and PCLMULQDQ in managed code: on a 160-byte SRTP
/// payload libcrypto's per-call EVP overhead costs more than the AES and GHASH work itself. The key schedule
/// and H, H^2, H^3, H^4 are computed once per key; GHASH folds four blocks per reduction, in the
/// byte-reflected representation of Gueron and Kounavis ("Intel Carry-Less Multiplication Instruction and
/// its Usage for Computing the GCM Mode", 2014). Immutable after construction, so safe to share.
/// </summary>
internal sealed class AesNiGcm
{
    private const int BlockLength = 16;

    /// <summary>Whether this CPU (and, under Native AOT, the compiled code) has the instructions used here.</summary>
    public static bool IsSupported => Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    private Vector128<byte> _k0, _k1, _k2, _k3, _k4, _k5, _k6, _k7, _k8, _k9, _k10;
    private Vector128<ulong> _h1, _h2, _h3, _h4; // byte-reflected powers of H = E(K, 0^128)

    public AesNiGcm(ReadOnlySpan<byte> key)
    {
        if (!IsSupported)
            throw new PlatformNotSupportedException("AES-NI, PCLMULQDQ and SSSE3 are needed");
        if (key.Length != GcmCipher.KeyLength)
            throw new ArgumentException($"AES-128 key must be {GcmCipher.KeyLength} bytes, got {key.Length}", nameof(key));
        // KeygenAssist takes its round constant as an immediate, hence one line per round.
        _k0 = Vector128.Create(key);
        _k1 = ExpandKey(_k0, Aes.KeygenAssist(_k0, 0x01));
        _k2 = ExpandKey(_k1, Aes.KeygenAssist(_k1, 0x02));
        _k3 = ExpandKey(_k2, Aes.KeygenAssist(_k2, 0x04));
        _k4 = ExpandKey(_k3, Aes.KeygenAssist(_k3, 0x08));
        _k5 = ExpandKey(_k4, Aes.KeygenAssist(_k4, 0x10));
        _k6 = ExpandKey(_k5, Aes.KeygenAssist(_k5, 0x20));
        _k7 = ExpandKey(_k6, Aes.KeygenAssist(_k6, 0x40));
        _k8 = ExpandKey(_k7, Aes.KeygenAssist(_k7, 0x80));
        _k9 = ExpandKey(_k8, Aes.KeygenAssist(_k8, 0x1b));
        _k10 = ExpandKey(_k9, Aes.KeygenAssist(_k9, 0x36));
        _h1 = Reflect(EncryptBlock(Vector128<byte>.Zero)).AsUInt64();
        _h2 = Multiply(_h1, _h1);
        _h3 = Multiply(_h2, _h1);
        _h4 = Multiply(_h3, _h1);
    }

    /// <summary>Encrypts <paramref name="data"/> in place and writes the 16-byte tag; AAD is <paramref name="aad1"/> || <paramref name="aad2"/>.</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, Span<byte> tag)
    {
        ReadNonce(nonce, out ulong n0, out uint n1);
        ApplyKeystream(n0, n1, data);
        ComputeTag(n0, n1, aad1, aad2, data).CopyTo(tag);
    }

    /// <summary>Checks the tag in constant time, then decrypts <paramref name="data"/> in place; false (data untouched) when the tag is wrong.</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, ReadOnlySpan<byte> tag)
    {
        ReadNonce(nonce, out ulong n0, out uint n1);
        Span<byte> expected = stackalloc byte[BlockLength];
        ComputeTag(n0, n1, aad1, aad2, data).CopyTo(expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag))
            return false;
        ApplyKeystream(n0, n1, data);
        return true;
    }

    /// <summary>Zeroes the key schedule and the powers of H.</summary>
    public void Clear()
    {
        _k0 = _k1 = _k2 = _k3 = _k4 = _k5 = _k6 = _k7 = _k8 = _k9 = _k10 = default;
        _h1 = _h2 = _h3 = _h4 = default;
    }

    private static void ReadNonce(ReadOnlySpan<byte> nonce, out ulong n0, out uint n1)
    {
        if (nonce.Length != GcmCipher.NonceLength)
            throw new ArgumentException($"GCM nonce must be {GcmCipher.NonceLength} bytes", nameof(nonce));
        // Only x86 runs this code: the nonce's bytes go into the vector's lanes in little-endian order.
        n0 = MemoryMarshal.Read<ulong>(nonce);
        n1 = MemoryMarshal.Read<uint>(nonce[8..]);
    }

    /// <summary>nonce || 32-bit big-endian counter (J0 has counter 1; the keystream starts at 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> CounterBlock(ulong n0, uint n1, uint counter) =>
        Vector128.Create(n0, n1 | ((ulong)BinaryPrimitives.ReverseEndianness(counter) << 32)).AsByte();

    private Vector128<byte> ComputeTag(ulong n0, uint n1, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, ReadOnlySpan<byte> ciphertext)
    {
        Vector128<ulong> x = AbsorbAad(aad1, aad2);
        x = Absorb(x, ciphertext);
        // len(A) || len(C) in bits, big-endian, here already byte-reflected.
        ulong aadBits = (ulong)(aad1.Length + aad2.Length) * 8, dataBits = (ulong)ciphertext.Length * 8;
        x = Multiply(x ^ Vector128.Create(dataBits, aadBits), _h1);
        return Reflect(x.AsByte()) ^ EncryptBlock(CounterBlock(n0, n1, 1));
    }

    /// <summary>GHASH over aad1 || aad2 as one string, zero-padded once at its end.</summary>
    private Vector128<ulong> AbsorbAad(ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2)
    {
        int whole = aad1.Length & ~(BlockLength - 1);
        Vector128<ulong> x = Absorb(Vector128<ulong>.Zero, aad1[..whole]);
        ReadOnlySpan<byte> rest = aad1[whole..];
        if (rest.Length > 0 && aad2.Length > 0)
        {
            // A block that straddles the two spans.
            Span<byte> block = stackalloc byte[BlockLength];
            block.Clear();
            rest.CopyTo(block);
            int taken = Math.Min(BlockLength - rest.Length, aad2.Length);
            aad2[..taken].CopyTo(block[rest.Length..]);
            x = Absorb(x, block);
            return Absorb(x, aad2[taken..]);
        }
        return Absorb(x, rest.Length > 0 ? rest : aad2);
    }

    /// <summary>GHASH update over <paramref name="input"/>, its last partial block zero-padded.</summary>
    private Vector128<ulong> Absorb(Vector128<ulong> x, ReadOnlySpan<byte> input)
    {
        ref byte source = ref MemoryMarshal.GetReference(input);
        nuint offset = 0, length = (nuint)input.Length;
        while (length - offset >= 4 * BlockLength)
        {
            // (x + b0)·H^4 + b1·H^3 + b2·H^2 + b3·H, one reduction for the four products.
            Vector128<ulong> low = Vector128<ulong>.Zero, high = Vector128<ulong>.Zero;
            MultiplyAccumulate(x ^ LoadReflected(ref source, offset), _h4, ref low, ref high);
            MultiplyAccumulate(LoadReflected(ref source, offset + 16), _h3, ref low, ref high);
            MultiplyAccumulate(LoadReflected(ref source, offset + 32), _h2, ref low, ref high);
            MultiplyAccumulate(LoadReflected(ref source, offset + 48), _h1, ref low, ref high);
            x = Reduce(low, high);
            offset += 4 * BlockLength;
        }
        while (length - offset >= BlockLength)
        {
            x = Multiply(x ^ LoadReflected(ref source, offset), _h1);
            offset += BlockLength;
        }
        if (offset < length)
        {
            Span<byte> block = stackalloc byte[BlockLength];
            block.Clear();
            input[(int)offset..].CopyTo(block);
            x = Multiply(x ^ Reflect(Vector128.Create((ReadOnlySpan<byte>)block)).AsUInt64(), _h1);
        }
        return x;
    }

    /// <summary>CTR mode from counter 2: data ^= E(K, nonce || counter), four blocks at a time to fill the AES pipeline.</summary>
    private void ApplyKeystream(ulong n0, uint n1, Span<byte> data)
    {
        ref byte target = ref MemoryMarshal.GetReference(data);
        nuint offset = 0, length = (nuint)data.Length;
        uint counter = 2;
        while (length - offset >= 4 * BlockLength)
        {
            Vector128<byte> b0 = CounterBlock(n0, n1, counter), b1 = CounterBlock(n0, n1, counter + 1);
            Vector128<byte> b2 = CounterBlock(n0, n1, counter + 2), b3 = CounterBlock(n0, n1, counter + 3);
            EncryptFour(ref b0, ref b1, ref b2, ref b3);
            (Vector128.LoadUnsafe(ref target, offset) ^ b0).StoreUnsafe(ref target, offset);
            (Vector128.LoadUnsafe(ref target, offset + 16) ^ b1).StoreUnsafe(ref target, offset + 16);
            (Vector128.LoadUnsafe(ref target, offset + 32) ^ b2).StoreUnsafe(ref target, offset + 32);
            (Vector128.LoadUnsafe(ref target, offset + 48) ^ b3).StoreUnsafe(ref target, offset + 48);
            counter += 4;
            offset += 4 * BlockLength;
        }
        while (length - offset >= BlockLength)
        {
            (Vector128.LoadUnsafe(ref target, offset) ^ EncryptBlock(CounterBlock(n0, n1, counter))).StoreUnsafe(ref target, offset);
            counter++;
            offset += BlockLength;
        }
        if (offset < length)
        {
            Span<byte> keystream = stackalloc byte[BlockLength];
            EncryptBlock(CounterBlock(n0, n1, counter)).CopyTo(keystream);
            Span<byte> tail = data[(int)offset..];
            for (int i = 0; i < tail.Length; i++)
                tail[i] ^= keystream[i];
        }
    }

    private Vector128<byte> EncryptBlock(Vector128<byte> block)
    {
        block ^= _k0;
        block = Aes.Encrypt(block, _k1);
        block = Aes.Encrypt(block, _k2);
        block = Aes.Encrypt(block, _k3);
        block = Aes.Encrypt(block, _k4);
        block = Aes.Encrypt(block, _k5);
        block = Aes.Encrypt(block, _k6);
        block = Aes.Encrypt(block, _k7);
        block = Aes.Encrypt(block, _k8);
        block = Aes.Encrypt(block, _k9);
        return Aes.EncryptLast(block, _k10);
    }

    private void EncryptFour(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3)
    {
        Vector128<byte> k = _k0;
        b0 ^= k; b1 ^= k; b2 ^= k; b3 ^= k;
        Round(ref b0, ref b1, ref b2, ref b3, _k1);
        Round(ref b0, ref b1, ref b2, ref b3, _k2);
        Round(ref b0, ref b1, ref b2, ref b3, _k3);
        Round(ref b0, ref b1, ref b2, ref b3, _k4);
        Round(ref b0, ref b1, ref b2, ref b3, _k5);
        Round(ref b0, ref b1, ref b2, ref b3, _k6);
        Round(ref b0, ref b1, ref b2, ref b3, _k7);
        Round(ref b0, ref b1, ref b2, ref b3, _k8);
        Round(ref b0, ref b1, ref b2, ref b3, _k9);
        k = _k10;
        b0 = Aes.EncryptLast(b0, k);
        b1 = Aes.EncryptLast(b1, k);
        b2 = Aes.EncryptLast(b2, k);
        b3 = Aes.EncryptLast(b3, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3, Vector128<byte> key)
    {
        b0 = Aes.Encrypt(b0, key);
        b1 = Aes.Encrypt(b1, key);
        b2 = Aes.Encrypt(b2, key);
        b3 = Aes.Encrypt(b3, key);
    }

    /// <summary>The next AES-128 round key from the previous one and its KeygenAssist word.</summary>
    private static Vector128<byte> ExpandKey(Vector128<byte> key, Vector128<byte> assist)
    {
        assist = Sse2.Shuffle(assist.AsUInt32(), 0xff).AsByte();
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        key ^= Sse2.ShiftLeftLogical128BitLane(key, 4);
        return key ^ assist;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reflect(Vector128<byte> block) =>
        Ssse3.Shuffle(block, Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> LoadReflected(ref byte source, nuint offset) =>
        Reflect(Vector128.LoadUnsafe(ref source, offset)).AsUInt64();

    private static Vector128<ulong> Multiply(Vector128<ulong> a, Vector128<ulong> b)
    {
        Vector128<ulong> low = Vector128<ulong>.Zero, high = Vector128<ulong>.Zero;
        MultiplyAccumulate(a, b, ref low, ref high);
        return Reduce(low, high);
    }

    /// <summary>high:low ^= a·b, the 256-bit carry-less product (schoolbook, four PCLMULQDQ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAccumulate(Vector128<ulong> a, Vector128<ulong> b, ref Vector128<ulong> low, ref Vector128<ulong> high)
    {
        Vector128<ulong> middle = Pclmulqdq.CarrylessMultiply(a, b, 0x10) ^ Pclmulqdq.CarrylessMultiply(a, b, 0x01);
        low ^= Pclmulqdq.CarrylessMultiply(a, b, 0x00) ^ Sse2.ShiftLeftLogical128BitLane(middle, 8);
        high ^= Pclmulqdq.CarrylessMultiply(a, b, 0x11) ^ Sse2.ShiftRightLogical128BitLane(middle, 8);
    }

    /// <summary>Shifts the reflected 256-bit product left by one bit and reduces it modulo x^128 + x^7 + x^2 + x + 1.</summary>
    private static Vector128<ulong> Reduce(Vector128<ulong> lowProduct, Vector128<ulong> highProduct)
    {
        Vector128<uint> low = lowProduct.AsUInt32(), high = highProduct.AsUInt32();
        Vector128<uint> lowCarry = Sse2.ShiftRightLogical(low, 31);
        Vector128<uint> highCarry = Sse2.ShiftRightLogical(high, 31);
        low = Sse2.ShiftLeftLogical(low, 1);
        high = Sse2.ShiftLeftLogical(high, 1);
        Vector128<uint> crossCarry = Sse2.ShiftRightLogical128BitLane(lowCarry, 12);
        highCarry = Sse2.ShiftLeftLogical128BitLane(highCarry, 4);
        lowCarry = Sse2.ShiftLeftLogical128BitLane(lowCarry, 4);
        low |= lowCarry;
        high |= highCarry | crossCarry;

        Vector128<uint> fold = Sse2.ShiftLeftLogical(low, 31) ^ Sse2.ShiftLeftLogical(low, 30) ^ Sse2.ShiftLeftLogical(low, 25);
        Vector128<uint> foldHigh = Sse2.ShiftRightLogical128BitLane(fold, 4);
        low ^= Sse2.ShiftLeftLogical128BitLane(fold, 12);
        Vector128<uint> second = Sse2.ShiftRightLogical(low, 1) ^ Sse2.ShiftRightLogical(low, 2) ^ Sse2.ShiftRightLogical(low, 7) ^ foldHigh;
        return (high ^ low ^ second).AsUInt64();
    }
}
