using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Aes = System.Runtime.Intrinsics.X86.Aes;

namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// AES-128-GCM (12-byte nonce, 16-byte tag) on AES-NI and PCLMULQDQ in managed code: on a 160-byte SRTP
/// payload libcrypto's per-call EVP overhead costs more than the AES and GHASH work itself. The key schedule
/// and H..H^8 are computed once per key. GHASH multiplies up to eight blocks by the matching powers of H and
/// reduces once per group (the byte-reflected method of Gueron and Kounavis, "Intel Carry-Less Multiplication
/// Instruction and its Usage for Computing the GCM Mode", 2014), so a 12-block SRTP packet pays two
/// reductions in its dependency chain instead of twelve. The key schedule and the powers are fields of the object
/// itself, so a packet's cipher state is one contiguous read. Immutable after construction, so safe to share.
/// </summary>
internal sealed class AesNiGcm : GcmCipher
{
    private const int BlockLength = 16;
    private const int GroupBlocks = 8; // blocks per GHASH reduction, and the powers of H kept

    /// <summary>Whether this CPU (and, under Native AOT, the compiled code) has the instructions used here.</summary>
    public static bool IsSupported => Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    private Aes128KeySchedule _key; // not readonly: ReleaseKey zeroes it
    private PowersOfH _powers; // byte-reflected H^1..H^8, H = E(K, 0^128); not readonly: ReleaseKey zeroes it

    /// <summary>The cache lines the object spans from its address: method table, key schedule (176 bytes), powers (128 bytes).</summary>
    internal const int CacheLineCount = 6;

    /// <summary>Made by <see cref="GcmCipher.Create(ReadOnlySpan{byte}, bool)"/>, which checks the key's length.</summary>
    internal AesNiGcm(ReadOnlySpan<byte> key)
    {
        if (!IsSupported)
            throw new PlatformNotSupportedException("AES-NI, PCLMULQDQ and SSSE3 are needed");
        _key = new Aes128KeySchedule(key);
        _powers[0] = Reflect(EncryptBlock(Vector128<byte>.Zero)).AsUInt64();
        for (int i = 1; i < GroupBlocks; i++)
            _powers[i] = Multiply(_powers[i - 1], _powers[0]);
    }

    public override string ImplementationInUse => AesNiName;

    /// <summary>Encrypts <paramref name="data"/> in place and writes the 16-byte tag; AAD is <paramref name="aad1"/> || <paramref name="aad2"/>.</summary>
    protected override void SealCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, Span<byte> tag)
    {
        ReadNonce(nonce, out ulong n0, out uint n1);
        Vector128<byte> tagMask = ApplyKeystream(n0, n1, data);
        (Hash(aad1, aad2, data) ^ tagMask).CopyTo(tag);
    }

    /// <summary>Checks the tag in constant time, then decrypts <paramref name="data"/> in place; false (data untouched) when the tag is wrong.</summary>
    protected override bool TryOpenCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, ReadOnlySpan<byte> tag)
    {
        ReadNonce(nonce, out ulong n0, out uint n1);
        Vector128<byte> tagMask = EncryptBlock(CounterBlock(n0, n1, 1));
        if (tag.Length != BlockLength)
            return false;
        // Constant time without CryptographicOperations.FixedTimeEquals, which is compiled unoptimized on purpose
        // (a third of an open's cost here): one XOR and one whole-vector compare, no data-dependent branch or early exit.
        Vector128<byte> difference = Hash(aad1, aad2, data) ^ tagMask ^ Vector128.Create(tag);
        if (difference != Vector128<byte>.Zero)
            return false;
        ApplyKeystream(n0, n1, data);
        return true;
    }

    /// <summary>Zeroes the key schedule and the powers of H.</summary>
    protected override void ReleaseKey()
    {
        _key = default;
        _powers = default;
    }

    [InlineArray(GroupBlocks)]
    private struct PowersOfH
    {
        private Vector128<ulong> _element;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReadNonce(ReadOnlySpan<byte> nonce, out ulong n0, out uint n1)
    {
        if (nonce.Length != GcmCipher.NonceLength)
            ThrowBadNonce();
        // Only x86 runs this code: the nonce's bytes go into the vector's lanes in little-endian order.
        n0 = MemoryMarshal.Read<ulong>(nonce);
        n1 = MemoryMarshal.Read<uint>(nonce[8..]);
    }

    private static void ThrowBadNonce() =>
        throw new ArgumentException($"GCM nonce must be {GcmCipher.NonceLength} bytes", "nonce");

    /// <summary>nonce || 32-bit big-endian counter (J0 has counter 1; the keystream starts at 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> CounterBlock(ulong n0, uint n1, uint counter) =>
        Vector128.Create(n0, n1 | ((ulong)BinaryPrimitives.ReverseEndianness(counter) << 32)).AsByte();

    /// <summary>GHASH(H, aad1 || aad2, ciphertext) in normal byte order.</summary>
    private Vector128<byte> Hash(ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, ReadOnlySpan<byte> ciphertext)
    {
        int aadLength = aad1.Length + aad2.Length;
        var state = new GhashState { Remaining = Blocks(aadLength) + Blocks(ciphertext.Length) + 1 };

        // AAD: aad1 || aad2 as one string, zero-padded once at its end.
        int whole = aad1.Length & ~(BlockLength - 1);
        AbsorbBlocks(ref state, aad1[..whole]);
        ReadOnlySpan<byte> rest = aad1[whole..];
        if (rest.Length > 0 && aad2.Length > 0)
        {
            // A block that straddles the two spans.
            int taken = Math.Min(BlockLength - rest.Length, aad2.Length);
            Vector128<byte> block = LoadPartial(rest, aad2[..taken]);
            Absorb(ref state, Reflect(block).AsUInt64());
            AbsorbBlocks(ref state, aad2[taken..]);
        }
        else
        {
            AbsorbBlocks(ref state, rest.Length > 0 ? rest : aad2);
        }
        AbsorbBlocks(ref state, ciphertext);
        // len(A) || len(C) in bits, big-endian, here already byte-reflected.
        Absorb(ref state, Vector128.Create((ulong)ciphertext.Length * 8, (ulong)aadLength * 8));
        return Reflect(state.X.AsByte());
    }

    private static int Blocks(int length) => (length + BlockLength - 1) / BlockLength;

    /// <summary>GHASH's running value and the unreduced sum of the current group's products.</summary>
    private struct GhashState
    {
        public Vector128<ulong> X, Low, High;
        public int Remaining; // blocks still to come in this message
        public int Power;     // the power of H for the next block; 0 at the start of a group
    }

    /// <summary>Feeds <paramref name="input"/>'s blocks, its last partial block zero-padded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AbsorbBlocks(ref GhashState state, ReadOnlySpan<byte> input)
    {
        ref byte source = ref MemoryMarshal.GetReference(input);
        nuint offset = 0, length = (nuint)input.Length;
        while (length - offset >= BlockLength)
        {
            Absorb(ref state, Reflect(Vector128.LoadUnsafe(ref source, offset)).AsUInt64());
            offset += BlockLength;
        }
        if (offset < length)
            Absorb(ref state, Reflect(LoadPartial(input[(int)offset..], default)).AsUInt64());
    }

    /// <summary>first || second (together under 16 bytes) as a zero-padded block, without a stack buffer so that callers inline.</summary>
    private static Vector128<byte> LoadPartial(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        Vector128<byte> block = default;
        Span<byte> bytes = MemoryMarshal.CreateSpan(ref Unsafe.As<Vector128<byte>, byte>(ref block), BlockLength);
        first.CopyTo(bytes);
        second.CopyTo(bytes[first.Length..]);
        return block;
    }

    /// <summary>
    /// One block of a group: X' = (X + b1)·H^g + b2·H^(g-1) + ... + bg·H, reduced once at the group's end. The
    /// first group takes the message's block count modulo 8, so every later group is a full 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Absorb(ref GhashState state, Vector128<ulong> block)
    {
        if (state.Power == 0)
        {
            int first = state.Remaining & (GroupBlocks - 1);
            state.Power = first == 0 ? GroupBlocks : first;
            block ^= state.X;
            state.Low = state.High = Vector128<ulong>.Zero;
        }
        MultiplyAccumulate(block, _powers[state.Power - 1], ref state.Low, ref state.High);
        state.Remaining--;
        if (--state.Power == 0)
            state.X = Reduce(state.Low, state.High);
    }

    /// <summary>
    /// CTR mode from counter 2: data ^= E(K, nonce || counter), four blocks at a time to fill the AES pipeline;
    /// the last (up to four) blocks go through the rounds together with J0, whose encryption is returned.
    /// </summary>
    private Vector128<byte> ApplyKeystream(ulong n0, uint n1, Span<byte> data)
    {
        ref byte target = ref MemoryMarshal.GetReference(data);
        nuint offset = 0, length = (nuint)data.Length;
        uint counter = 2;
        Vector128<byte> b0, b1, b2, b3;
        while (length - offset > 4 * BlockLength)
        {
            b0 = CounterBlock(n0, n1, counter);
            b1 = CounterBlock(n0, n1, counter + 1);
            b2 = CounterBlock(n0, n1, counter + 2);
            b3 = CounterBlock(n0, n1, counter + 3);
            EncryptFour(ref b0, ref b1, ref b2, ref b3);
            (Vector128.LoadUnsafe(ref target, offset) ^ b0).StoreUnsafe(ref target, offset);
            (Vector128.LoadUnsafe(ref target, offset + 16) ^ b1).StoreUnsafe(ref target, offset + 16);
            (Vector128.LoadUnsafe(ref target, offset + 32) ^ b2).StoreUnsafe(ref target, offset + 32);
            (Vector128.LoadUnsafe(ref target, offset + 48) ^ b3).StoreUnsafe(ref target, offset + 48);
            counter += 4;
            offset += 4 * BlockLength;
        }

        // 0..64 bytes left: at most four more keystream blocks, encrypted beside J0.
        b0 = CounterBlock(n0, n1, counter);
        b1 = CounterBlock(n0, n1, counter + 1);
        b2 = CounterBlock(n0, n1, counter + 2);
        b3 = CounterBlock(n0, n1, counter + 3);
        Vector128<byte> j0 = CounterBlock(n0, n1, 1);
        EncryptFive(ref b0, ref b1, ref b2, ref b3, ref j0);
        Span<byte> keystream = stackalloc byte[4 * BlockLength];
        b0.CopyTo(keystream);
        b1.CopyTo(keystream[16..]);
        b2.CopyTo(keystream[32..]);
        b3.CopyTo(keystream[48..]);
        ref byte stream = ref MemoryMarshal.GetReference(keystream);
        nuint used = 0;
        for (; length - offset >= BlockLength; offset += BlockLength, used += BlockLength)
            (Vector128.LoadUnsafe(ref target, offset) ^ Vector128.LoadUnsafe(ref stream, used)).StoreUnsafe(ref target, offset);
        Span<byte> tail = data[(int)offset..];
        for (int i = 0; i < tail.Length; i++)
            tail[i] ^= keystream[(int)used + i];
        return j0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> block) => _key.Encrypt(block);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EncryptFour(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3)
    {
        Vector128<byte> k = _key.K0;
        b0 ^= k; b1 ^= k; b2 ^= k; b3 ^= k;
        Round(ref b0, ref b1, ref b2, ref b3, _key.K1);
        Round(ref b0, ref b1, ref b2, ref b3, _key.K2);
        Round(ref b0, ref b1, ref b2, ref b3, _key.K3);
        Round(ref b0, ref b1, ref b2, ref b3, _key.K4);
        Round(ref b0, ref b1, ref b2, ref b3, _key.K5);
        Round(ref b0, ref b1, ref b2, ref b3, _key.K6);
        Round(ref b0, ref b1, ref b2, ref b3, _key.K7);
        Round(ref b0, ref b1, ref b2, ref b3, _key.K8);
        Round(ref b0, ref b1, ref b2, ref b3, _key.K9);
        k = _key.K10;
        b0 = Aes.EncryptLast(b0, k);
        b1 = Aes.EncryptLast(b1, k);
        b2 = Aes.EncryptLast(b2, k);
        b3 = Aes.EncryptLast(b3, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EncryptFive(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3, ref Vector128<byte> b4)
    {
        Vector128<byte> k = _key.K0;
        b0 ^= k; b1 ^= k; b2 ^= k; b3 ^= k; b4 ^= k;
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K1);
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K2);
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K3);
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K4);
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K5);
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K6);
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K7);
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K8);
        Round(ref b0, ref b1, ref b2, ref b3, ref b4, _key.K9);
        k = _key.K10;
        b0 = Aes.EncryptLast(b0, k);
        b1 = Aes.EncryptLast(b1, k);
        b2 = Aes.EncryptLast(b2, k);
        b3 = Aes.EncryptLast(b3, k);
        b4 = Aes.EncryptLast(b4, k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3, ref Vector128<byte> b4, Vector128<byte> key)
    {
        b0 = Aes.Encrypt(b0, key);
        b1 = Aes.Encrypt(b1, key);
        b2 = Aes.Encrypt(b2, key);
        b3 = Aes.Encrypt(b3, key);
        b4 = Aes.Encrypt(b4, key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3, Vector128<byte> key)
    {
        b0 = Aes.Encrypt(b0, key);
        b1 = Aes.Encrypt(b1, key);
        b2 = Aes.Encrypt(b2, key);
        b3 = Aes.Encrypt(b3, key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Reflect(Vector128<byte> block) =>
        Ssse3.Shuffle(block, Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
