using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using EdgeVoice.WebRtc.Srtp;
using AesNi = System.Runtime.Intrinsics.X86.Aes;

namespace EdgeVoice.WebRtc.Ice;

/// <summary>
/// The relay's ICE ufrag as a routing token: base64 (no padding) of the 8-byte session id and a 10-byte tag
/// (see <see cref="UfragTagKey"/>) under a relay secret, 24 ice-chars (RFC 8445 §5.3). A STUN request whose
/// ufrag does not verify is dropped before any lookup or state.
/// </summary>
public static class UfragToken
{
    /// <summary>Length of a minted ufrag in characters.</summary>
    public const int Length = 24;
    public const int MinimumSecretLength = 16;
    private const int IdLength = 8;
    private const int TagLength = 10;
    private const int DecodedLength = IdLength + TagLength;

    // ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4): base64's alphabet without "=".
    private static readonly SearchValues<byte> IceChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8);

    /// <summary>Mints the ufrag for <paramref name="sessionId"/>; throws when the secret is shorter than 16 bytes (a configuration error).</summary>
    [SkipLocalsInit]
    public static string Mint(ulong sessionId, ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinimumSecretLength)
            throw new ArgumentException($"The ufrag secret must be at least {MinimumSecretLength} bytes.", nameof(secret));
        Span<byte> token = stackalloc byte[DecodedLength];
        BinaryPrimitives.WriteUInt64BigEndian(token, sessionId);
        using (var key = new UfragTagKey(secret, AesNi.IsSupported))
            key.ComputeTag(sessionId, token[IdLength..]);
        return Convert.ToBase64String(token);
    }

    /// <summary>
    /// Reads the session id from a ufrag if its tag verifies under <paramref name="secret"/> (constant-time compare);
    /// allocates nothing where the CPU has AES-NI. The relay's receive loop uses a <see cref="UfragTokenVerifier"/>,
    /// which keeps the key schedule.
    /// </summary>
    [SkipLocalsInit]
    public static bool TryRead(ReadOnlySpan<byte> ufrag, ReadOnlySpan<byte> secret, out ulong sessionId)
    {
        sessionId = 0;
        Span<byte> token = stackalloc byte[DecodedLength];
        if (secret.Length < MinimumSecretLength || !TryDecode(ufrag, token))
            return false;
        using var key = new UfragTagKey(secret, AesNi.IsSupported);
        return key.TryAccept(token, out sessionId);
    }

    /// <summary>Exactly 24 base64 ice-chars without padding decode to exactly 18 bytes: one ufrag per token, no malleability.</summary>
    internal static bool TryDecode(ReadOnlySpan<byte> ufrag, Span<byte> token)
    {
        // The alphabet check matters: the base64 decoder skips whitespace, which would make tokens malleable.
        if (ufrag.Length != Length || ufrag.IndexOfAnyExcept(IceChars) >= 0)
            return false;
        return Base64.DecodeFromUtf8(ufrag, token, out int consumed, out int written) == OperationStatus.Done
            && consumed == Length && written == DecodedLength;
    }

    internal const int TokenLength = DecodedLength;
    internal const int TagBytes = TagLength;

    /// <summary>
    /// Splits an ICE USERNAME "recipientUfrag:senderUfrag" (RFC 8445 §7.2.2); on the relay the recipient's part is
    /// the relay's own ufrag, the token. False when there is no colon or either side is empty.
    /// </summary>
    public static bool TrySplitUsername(ReadOnlySpan<byte> username, out ReadOnlySpan<byte> recipientUfrag, out ReadOnlySpan<byte> senderUfrag)
    {
        int colon = username.IndexOf((byte)':');
        if (colon <= 0 || colon == username.Length - 1)
        {
            recipientUfrag = default;
            senderUfrag = default;
            return false;
        }
        recipientUfrag = username[..colon];
        senderUfrag = username[(colon + 1)..];
        return true;
    }

    /// <summary>ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4).</summary>
    public static bool IsIceChar(byte c) => IceChars.Contains(c);
}

/// <summary>
/// The ufrag tag: the first 10 bytes of AES-128_K("ufrag-v2" || session id as 8 big-endian bytes), with
/// K = the first 16 bytes of HMAC-SHA256(secret, "edgevoice ice-ufrag v2"). One AES block is a sound MAC here
/// because every input is exactly one block of fixed layout, so there is no length extension or padding to
/// exploit; AES-128 is a pseudorandom permutation, hence a PRF on distinct inputs (advantage q²/2^129 for q
/// tags seen), and a PRF truncated to 80 bits is a MAC an attacker forges with chance 2^-80 per try. One block
/// on AES-NI costs tens of nanoseconds, where HMAC-SHA256 through .NET's OpenSSL shim cost about a microsecond.
/// The label keeps K apart from other uses of the same secret. Dispose zeroes the key.
/// </summary>
[SkipLocalsInit]
internal struct UfragTagKey : IDisposable
{
    private const int BlockLength = 16;
    private const int KeyLength = 16;

    private static ReadOnlySpan<byte> KeyLabel => "edgevoice ice-ufrag v2"u8;
    private static ReadOnlySpan<byte> BlockPrefix => "ufrag-v2"u8;

    private Aes128KeySchedule _schedule;
    // Where AES-NI is absent: one ECB encryptor made once; unlike Aes.EncryptEcb it allocates nothing per block.
    private ICryptoTransform? _fallback;
    private byte[]? _fallbackBlock;

    /// <summary>Derives K from <paramref name="secret"/>; the caller has checked the secret's length.</summary>
    public UfragTagKey(ReadOnlySpan<byte> secret, bool useAesNi)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, KeyLabel, mac);
        Span<byte> key = mac[..KeyLength];
        if (useAesNi && AesNi.IsSupported)
        {
            _schedule = new Aes128KeySchedule(key);
        }
        else
        {
            using var aes = System.Security.Cryptography.Aes.Create();
            aes.SetKey(key);
            aes.Mode = CipherMode.ECB;
            aes.Padding = PaddingMode.None;
            _fallback = aes.CreateEncryptor();
            _fallbackBlock = new byte[2 * BlockLength];
        }
        CryptographicOperations.ZeroMemory(mac);
    }

    /// <summary>Whether the tag is computed on AES-NI (false: on System.Security.Cryptography.Aes).</summary>
    public readonly bool UsesAesNi => _fallback is null;

    /// <summary>Writes the 10-byte tag for <paramref name="sessionId"/> into <paramref name="tag"/>.</summary>
    public readonly void ComputeTag(ulong sessionId, Span<byte> tag)
    {
        Span<byte> block = stackalloc byte[BlockLength];
        Encrypt(sessionId, block);
        block[..UfragToken.TagBytes].CopyTo(tag);
    }

    /// <summary>
    /// Checks the decoded 18-byte token's tag in constant time (one XOR/OR over the 10 bytes, no early exit);
    /// on success reads the session id.
    /// </summary>
    public readonly bool TryAccept(ReadOnlySpan<byte> token, out ulong sessionId)
    {
        sessionId = 0;
        ulong id = BinaryPrimitives.ReadUInt64BigEndian(token);
        Span<byte> expected = stackalloc byte[BlockLength];
        Encrypt(id, expected);
        ReadOnlySpan<byte> tag = token.Slice(8, UfragToken.TagBytes);
        ulong difference = (MemoryMarshal.Read<ulong>(expected) ^ MemoryMarshal.Read<ulong>(tag))
            | (uint)(MemoryMarshal.Read<ushort>(expected[8..]) ^ MemoryMarshal.Read<ushort>(tag[8..]));
        if (difference != 0)
            return false;
        sessionId = id;
        return true;
    }

    private readonly void Encrypt(ulong sessionId, Span<byte> block)
    {
        BlockPrefix.CopyTo(block);
        BinaryPrimitives.WriteUInt64BigEndian(block[8..], sessionId);
        if (_fallback is { } encryptor)
        {
            byte[] buffer = _fallbackBlock!;
            block.CopyTo(buffer);
            encryptor.TransformBlock(buffer, 0, BlockLength, buffer, BlockLength);
            buffer.AsSpan(BlockLength, BlockLength).CopyTo(block);
            return;
        }
        _schedule.Encrypt(Vector128.Create((ReadOnlySpan<byte>)block)).CopyTo(block);
    }

    public void Dispose()
    {
        _schedule = default;
        _fallback?.Dispose();
        _fallback = null;
        if (_fallbackBlock is not null)
            CryptographicOperations.ZeroMemory(_fallbackBlock);
        _fallbackBlock = null;
    }
}

/// <summary>
/// <see cref="UfragToken.TryRead"/> with the AES key schedule kept between calls, for the receive loop's one thread:
/// a forged ufrag then costs one base64 decode and one AES block. Not thread-safe.
/// </summary>
public sealed class UfragTokenVerifier : IDisposable
{
    private UfragTagKey _key; // not readonly: a readonly struct field would be copied on every call

    public UfragTokenVerifier(ReadOnlySpan<byte> secret) : this(secret, AesNi.IsSupported)
    {
    }

    /// <summary>With <paramref name="useAesNi"/> false the tag is computed on System.Security.Cryptography.Aes (tests compare the two).</summary>
    internal UfragTokenVerifier(ReadOnlySpan<byte> secret, bool useAesNi)
    {
        if (secret.Length < UfragToken.MinimumSecretLength)
            throw new ArgumentException($"The ufrag secret must be at least {UfragToken.MinimumSecretLength} bytes.", nameof(secret));
        _key = new UfragTagKey(secret, useAesNi);
    }

    internal bool UsesAesNi => _key.UsesAesNi;

    [SkipLocalsInit]
    public bool TryRead(ReadOnlySpan<byte> ufrag, out ulong sessionId)
    {
        sessionId = 0;
        Span<byte> token = stackalloc byte[UfragToken.TokenLength];
        return UfragToken.TryDecode(ufrag, token) && _key.TryAccept(token, out sessionId);
    }

    public void Dispose() => _key.Dispose();
}
