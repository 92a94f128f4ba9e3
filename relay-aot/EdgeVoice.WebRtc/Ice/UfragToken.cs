using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace EdgeVoice.WebRtc.Ice;

/// <summary>
/// The relay's ICE ufrag as a routing token: base64 (no padding) of the 8-byte session id and a 10-byte
/// HMAC-SHA256 tag under a relay secret, 24 ice-chars (RFC 8445 §5.3). A STUN request whose ufrag does
/// not verify is dropped before any lookup or state.
/// </summary>
public static class UfragToken
{
    /// <summary>Length of a minted ufrag in characters.</summary>
    public const int Length = 24;
    public const int MinimumSecretLength = 16;
    private const int IdLength = 8;
    private const int TagLength = 10;
    private const int DecodedLength = IdLength + TagLength;

    // Domain separation: the same secret may key other relay tokens without their tags being interchangeable.
    private static ReadOnlySpan<byte> Label => "edgevoice ice-ufrag v1\0"u8;

    /// <summary>Mints the ufrag for <paramref name="sessionId"/>; throws when the secret is shorter than 16 bytes (a configuration error).</summary>
    public static string Mint(ulong sessionId, ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinimumSecretLength)
            throw new ArgumentException($"The ufrag secret must be at least {MinimumSecretLength} bytes.", nameof(secret));
        Span<byte> token = stackalloc byte[DecodedLength];
        BinaryPrimitives.WriteUInt64BigEndian(token, sessionId);
        ComputeTag(token[..IdLength], secret, token[IdLength..]);
        return Convert.ToBase64String(token);
    }

    /// <summary>
    /// Reads the session id from a ufrag if its tag verifies under <paramref name="secret"/> (constant-time compare);
    /// allocates nothing. The relay's receive loop uses a <see cref="UfragTokenVerifier"/>, which keeps the keyed MAC.
    /// </summary>
    [SkipLocalsInit]
    public static bool TryRead(ReadOnlySpan<byte> ufrag, ReadOnlySpan<byte> secret, out ulong sessionId)
    {
        sessionId = 0;
        Span<byte> token = stackalloc byte[DecodedLength];
        if (secret.Length < MinimumSecretLength || !TryDecode(ufrag, token))
            return false;
        Span<byte> expected = stackalloc byte[TagLength];
        ComputeTag(token[..IdLength], secret, expected);
        return TryAccept(token, expected, out sessionId);
    }

    /// <summary>Exactly 24 base64 ice-chars without padding decode to exactly 18 bytes: one ufrag per token, no malleability.</summary>
    internal static bool TryDecode(ReadOnlySpan<byte> ufrag, Span<byte> token)
    {
        if (ufrag.Length != Length)
            return false;
        foreach (byte c in ufrag)
        {
            if (!IsIceChar(c))
                return false;
        }
        return Base64.DecodeFromUtf8(ufrag, token, out int consumed, out int written) == System.Buffers.OperationStatus.Done
            && consumed == Length && written == DecodedLength;
    }

    internal static bool TryAccept(ReadOnlySpan<byte> token, ReadOnlySpan<byte> expectedTag, out ulong sessionId)
    {
        sessionId = 0;
        if (!CryptographicOperations.FixedTimeEquals(expectedTag, token[IdLength..]))
            return false;
        sessionId = BinaryPrimitives.ReadUInt64BigEndian(token);
        return true;
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
    public static bool IsIceChar(byte c) => c is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z')
        or (>= (byte)'0' and <= (byte)'9') or (byte)'+' or (byte)'/';

    [SkipLocalsInit]
    private static void ComputeTag(ReadOnlySpan<byte> id, ReadOnlySpan<byte> secret, Span<byte> tag)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, TagInput(id, stackalloc byte[Label.Length + IdLength]), mac);
        mac[..TagLength].CopyTo(tag);
    }

    internal static ReadOnlySpan<byte> TagInput(ReadOnlySpan<byte> id, Span<byte> input)
    {
        Label.CopyTo(input);
        id.CopyTo(input[Label.Length..]);
        return input;
    }

    internal static int TagInputLength => Label.Length + IdLength;
}

/// <summary>
/// <see cref="UfragToken.TryRead"/> with the keyed HMAC kept between calls, for the receive loop's one thread:
/// a forged ufrag then costs one MAC update, not a MAC key set-up. Not thread-safe.
/// </summary>
public sealed class UfragTokenVerifier : IDisposable
{
    private readonly IncrementalHash _mac;

    public UfragTokenVerifier(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < UfragToken.MinimumSecretLength)
            throw new ArgumentException($"The ufrag secret must be at least {UfragToken.MinimumSecretLength} bytes.", nameof(secret));
        _mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
    }

    [SkipLocalsInit]
    public bool TryRead(ReadOnlySpan<byte> ufrag, out ulong sessionId)
    {
        sessionId = 0;
        Span<byte> token = stackalloc byte[UfragToken.TokenLength];
        if (!UfragToken.TryDecode(ufrag, token))
            return false;
        _mac.AppendData(UfragToken.TagInput(token[..8], stackalloc byte[UfragToken.TagInputLength]));
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        _mac.GetHashAndReset(mac);
        return UfragToken.TryAccept(token, mac[..UfragToken.TagBytes], out sessionId);
    }

    public void Dispose() => _mac.Dispose();
}
