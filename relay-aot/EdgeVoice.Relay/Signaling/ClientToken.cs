using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;

namespace EdgeVoice.Relay.Signaling;

/// <summary>
/// Short-lived signed tokens that browser apps present to <c>POST /v1/calls</c> instead of an API key.
/// Format: <c>ev1.&lt;base64url payload&gt;.&lt;base64url HMAC-SHA256 of "ev1.&lt;payload&gt;"&gt;</c>, with a fixed binary payload:
/// version (1) | token id (16) | issued-at (int64 BE, unix s) | expires-at (int64 BE) | max call seconds (uint32 BE)
/// | key id length (1) + UTF-8 | origin length (1) + UTF-8 (0 = any origin).
/// </summary>
public sealed class ClientToken
{
    public const string Prefix = "ev1.";
    public const int MinSecretLength = 32;
    public const int MaxKeyIdBytes = 64;
    public const int MaxOriginBytes = 255;
    /// <summary>Clock difference tolerated between the relay that minted a token and the one that checks it.</summary>
    public static readonly TimeSpan AllowedClockSkew = TimeSpan.FromSeconds(30);

    private const byte PayloadVersion = 1;
    private const int FixedPayloadBytes = 1 + 16 + 8 + 8 + 4;
    private const int MaxPayloadBytes = FixedPayloadBytes + 1 + MaxKeyIdBytes + 1 + MaxOriginBytes;
    private const int MacBytes = 32;
    private const int MacChars = 43;
    private static readonly int MaxPayloadChars = Base64Url.GetEncodedLength(MaxPayloadBytes);
    /// <summary>No valid token is longer than this; longer input is refused before any work.</summary>
    public static readonly int MaxTokenLength = Prefix.Length + MaxPayloadChars + 1 + MacChars;

    private readonly byte[] _secret;

    /// <param name="secret">HMAC key, at least 32 bytes (from <c>auth.token_secret</c>).</param>
    /// <param name="maxLifetime">Tokens valid for longer are refused (<c>auth.max_token_lifetime</c>).</param>
    public ClientToken(ReadOnlySpan<byte> secret, TimeSpan maxLifetime)
    {
        if (secret.Length < MinSecretLength)
            throw new ArgumentException($"the token secret must be at least {MinSecretLength} bytes", nameof(secret));
        if (maxLifetime <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(maxLifetime), maxLifetime, "must be positive");
        _secret = secret.ToArray();
        MaxLifetime = maxLifetime;
    }

    public TimeSpan MaxLifetime { get; }

    /// <summary>Mints a token with a fresh random id, valid from <paramref name="now"/> for <paramref name="lifetime"/>.</summary>
    public string Mint(string keyId, DateTimeOffset now, TimeSpan lifetime, int maxCallSeconds, string? allowedOrigin = null)
    {
        Span<byte> id = stackalloc byte[16];
        RandomNumberGenerator.Fill(id);
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        return Mint(new ClientTokenClaims(Convert.ToHexStringLower(id), issuedAt, issuedAt + lifetime, maxCallSeconds, allowedOrigin, keyId));
    }

    /// <summary>Mints a token carrying exactly these claims (times truncated to whole seconds).</summary>
    /// <exception cref="ArgumentException">The claims cannot be encoded or exceed <see cref="MaxLifetime"/>: a caller's bug, not client input.</exception>
    public string Mint(ClientTokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        Span<byte> id = stackalloc byte[16];
        if (claims.TokenId.Length != 32 || Convert.FromHexString(claims.TokenId, id, out _, out _) != OperationStatus.Done)
            throw new ArgumentException("TokenId must be 32 hex digits", nameof(claims));
        long issued = claims.IssuedAt.ToUnixTimeSeconds(), expires = claims.ExpiresAt.ToUnixTimeSeconds();
        if (expires <= issued)
            throw new ArgumentException("ExpiresAt must be after IssuedAt", nameof(claims));
        if (TimeSpan.FromSeconds(expires - issued) > MaxLifetime)
            throw new ArgumentException($"the lifetime exceeds the maximum of {MaxLifetime}", nameof(claims));
        if (claims.MaxCallSeconds <= 0)
            throw new ArgumentException("MaxCallSeconds must be positive", nameof(claims));
        int keyIdBytes = Encoding.UTF8.GetByteCount(claims.KeyId);
        if (keyIdBytes is 0 or > MaxKeyIdBytes)
            throw new ArgumentException($"KeyId must be 1-{MaxKeyIdBytes} UTF-8 bytes", nameof(claims));
        int originBytes = claims.AllowedOrigin is null ? 0 : Encoding.UTF8.GetByteCount(claims.AllowedOrigin);
        if (originBytes > MaxOriginBytes || claims.AllowedOrigin is "")
            throw new ArgumentException($"AllowedOrigin must be null or 1-{MaxOriginBytes} UTF-8 bytes", nameof(claims));

        Span<byte> payload = stackalloc byte[MaxPayloadBytes];
        payload[0] = PayloadVersion;
        id.CopyTo(payload[1..]);
        BinaryPrimitives.WriteInt64BigEndian(payload[17..], issued);
        BinaryPrimitives.WriteInt64BigEndian(payload[25..], expires);
        BinaryPrimitives.WriteUInt32BigEndian(payload[33..], (uint)claims.MaxCallSeconds);
        int at = FixedPayloadBytes;
        payload[at++] = (byte)keyIdBytes;
        at += Encoding.UTF8.GetBytes(claims.KeyId, payload[at..]);
        payload[at++] = (byte)originBytes;
        if (claims.AllowedOrigin is not null)
            at += Encoding.UTF8.GetBytes(claims.AllowedOrigin, payload[at..]);

        Span<char> token = stackalloc char[MaxTokenLength];
        Prefix.CopyTo(token);
        int length = Prefix.Length + Base64Url.EncodeToChars(payload[..at], token[Prefix.Length..]);
        token[length++] = '.';
        Span<byte> mac = stackalloc byte[MacBytes];
        ComputeMac(token[..(length - 1)], mac);
        length += Base64Url.EncodeToChars(mac, token[length..]);
        return new string(token[..length]);
    }

    /// <summary>Checks the MAC (constant time) before reading the payload, then the validity window at <paramref name="now"/>.</summary>
    public bool TryVerify(string? token, DateTimeOffset now, [NotNullWhen(true)] out ClientTokenClaims? claims, out ClientTokenError error)
    {
        claims = null;
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
            return Refuse(ClientTokenError.Malformed, out error);
        if (!token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            bool otherVersion = token.Length > 3 && token.StartsWith("ev", StringComparison.Ordinal) && char.IsAsciiDigit(token[2])
                && token.IndexOf('.') > 2;
            return Refuse(otherVersion ? ClientTokenError.UnsupportedVersion : ClientTokenError.Malformed, out error);
        }
        var rest = token.AsSpan(Prefix.Length);
        int dot = rest.IndexOf('.');
        if (dot <= 0 || dot > MaxPayloadChars)
            return Refuse(ClientTokenError.Malformed, out error);
        var payloadText = rest[..dot];
        var macText = rest[(dot + 1)..];
        if (macText.Length != MacChars || !IsBase64Url(payloadText) || !IsBase64Url(macText))
            return Refuse(ClientTokenError.Malformed, out error);

        Span<byte> mac = stackalloc byte[MacBytes];
        ComputeMac(token.AsSpan(0, Prefix.Length + dot), mac);
        Span<char> expected = stackalloc char[MacChars];
        Base64Url.EncodeToChars(mac, expected);
        // Comparing the text, not decoded bytes, also refuses signatures that differ only in unused trailing bits.
        if (!CryptographicOperations.FixedTimeEquals(
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(expected),
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(macText)))
            return Refuse(ClientTokenError.BadSignature, out error);

        Span<byte> payload = stackalloc byte[MaxPayloadBytes];
        if (!Base64Url.TryDecodeFromChars(payloadText, payload, out int payloadLength)
            || !TryReadPayload(payload[..payloadLength], out var read))
            return Refuse(ClientTokenError.Malformed, out error);

        if (read.IssuedAt > now + AllowedClockSkew)
            return Refuse(ClientTokenError.NotYetValid, out error);
        if (now >= read.ExpiresAt)
            return Refuse(ClientTokenError.Expired, out error);
        if (read.ExpiresAt - read.IssuedAt > MaxLifetime)
            return Refuse(ClientTokenError.LifetimeTooLong, out error);
        claims = read;
        error = ClientTokenError.None;
        return true;
    }

    private static bool TryReadPayload(ReadOnlySpan<byte> payload, [NotNullWhen(true)] out ClientTokenClaims? claims)
    {
        claims = null;
        if (payload.Length < FixedPayloadBytes + 2 || payload[0] != PayloadVersion)
            return false;
        long issued = BinaryPrimitives.ReadInt64BigEndian(payload[17..]);
        long expires = BinaryPrimitives.ReadInt64BigEndian(payload[25..]);
        uint maxCall = BinaryPrimitives.ReadUInt32BigEndian(payload[33..]);
        const long maxUnix = 253402300799; // 9999-12-31T23:59:59Z, the last second DateTimeOffset holds
        if (issued is < 0 or > maxUnix || expires is < 0 or > maxUnix || expires <= issued || maxCall is 0 or > int.MaxValue)
            return false;
        int at = FixedPayloadBytes;
        int keyIdLength = payload[at++];
        if (keyIdLength is 0 or > MaxKeyIdBytes || at + keyIdLength >= payload.Length)
            return false;
        var keyId = payload.Slice(at, keyIdLength);
        at += keyIdLength;
        int originLength = payload[at++];
        if (at + originLength != payload.Length)
            return false;
        var origin = payload.Slice(at, originLength);
        if (!Utf8.IsValid(keyId) || !Utf8.IsValid(origin))
            return false;
        claims = new ClientTokenClaims(
            Convert.ToHexStringLower(payload.Slice(1, 16)),
            DateTimeOffset.FromUnixTimeSeconds(issued),
            DateTimeOffset.FromUnixTimeSeconds(expires),
            (int)maxCall,
            originLength == 0 ? null : Encoding.UTF8.GetString(origin),
            Encoding.UTF8.GetString(keyId));
        return true;
    }

    private void ComputeMac(ReadOnlySpan<char> signedText, Span<byte> mac)
    {
        // The signed text is ASCII (prefix + base64url), one byte per char.
        Span<byte> bytes = stackalloc byte[MaxTokenLength];
        int length = Encoding.ASCII.GetBytes(signedText, bytes);
        HMACSHA256.HashData(_secret, bytes[..length], mac);
    }

    private static bool IsBase64Url(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                return false;
        }
        return true;
    }

    private static bool Refuse(ClientTokenError value, out ClientTokenError error)
    {
        error = value;
        return false;
    }
}
