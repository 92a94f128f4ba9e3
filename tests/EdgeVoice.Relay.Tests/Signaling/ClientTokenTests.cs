using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using EdgeVoice.Relay.Signaling;

namespace EdgeVoice.Relay.Tests.Signaling;

public class ClientTokenTests
{
    private static readonly byte[] Secret = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset IssuedAt = DateTimeOffset.FromUnixTimeSeconds(1_795_000_000);
    private static readonly ClientTokenClaims Claims = new(
        "00112233445566778899aabbccddeeff", IssuedAt, IssuedAt.AddMinutes(5), 600, "https://app.example.com", "demo-key");

    private static ClientToken Tokens(byte[]? secret = null, double maxMinutes = 60) =>
        new(secret ?? Secret, TimeSpan.FromMinutes(maxMinutes));

    [Fact]
    public void MintedClaimsVerifyUnchanged()
    {
        var tokens = Tokens();
        string token = tokens.Mint(Claims);
        Assert.True(tokens.TryVerify(token, IssuedAt.AddSeconds(10), out var claims, out var error));
        Assert.Equal(ClientTokenError.None, error);
        Assert.Equal(Claims, claims);
    }

    [Fact]
    public void TokenIsCompactAndUrlSafe()
    {
        string token = Tokens().Mint(Claims);
        string[] parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        Assert.Equal("ev1", parts[0]);
        Assert.Equal(43, parts[2].Length);
        Assert.All(token, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));
        Assert.InRange(token.Length, 1, ClientToken.MaxTokenLength);
        // The payload is the fixed binary layout: version 1, the token id, then issued-at big-endian.
        byte[] payload = Base64Url.DecodeFromChars(parts[1]);
        Assert.Equal(1, payload[0]);
        Assert.Equal(Convert.FromHexString(Claims.TokenId), payload[1..17]);
        Assert.Equal(1_795_000_000, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(17)));
    }

    [Fact]
    public void MintWithoutClaimsUsesFreshIdsAndWholeSeconds()
    {
        var tokens = Tokens();
        var now = IssuedAt.AddMilliseconds(750);
        string a = tokens.Mint("demo-key", now, TimeSpan.FromMinutes(5), 300);
        string b = tokens.Mint("demo-key", now, TimeSpan.FromMinutes(5), 300);
        Assert.NotEqual(a, b);
        Assert.True(tokens.TryVerify(a, now, out var claims, out _));
        Assert.Equal(IssuedAt, claims.IssuedAt);
        Assert.Equal(IssuedAt.AddMinutes(5), claims.ExpiresAt);
        Assert.Null(claims.AllowedOrigin);
        Assert.Equal("demo-key", claims.KeyId);
        Assert.Equal(300, claims.MaxCallSeconds);
        Assert.Matches("^[0-9a-f]{32}$", claims.TokenId);
    }

    [Fact]
    public void ExpiresExactlyAtExpiry()
    {
        var tokens = Tokens();
        string token = tokens.Mint(Claims);
        Assert.True(tokens.TryVerify(token, Claims.ExpiresAt.AddSeconds(-1), out _, out _));
        Assert.False(tokens.TryVerify(token, Claims.ExpiresAt, out var claims, out var error));
        Assert.Null(claims);
        Assert.Equal(ClientTokenError.Expired, error);
        Assert.False(tokens.TryVerify(token, Claims.ExpiresAt.AddDays(3), out _, out error));
        Assert.Equal(ClientTokenError.Expired, error);
    }

    [Fact]
    public void IssuedInTheFutureBeyondSkewIsNotYetValid()
    {
        var tokens = Tokens();
        string token = tokens.Mint(Claims);
        Assert.True(tokens.TryVerify(token, IssuedAt - ClientToken.AllowedClockSkew, out _, out _));
        Assert.False(tokens.TryVerify(token, IssuedAt - ClientToken.AllowedClockSkew - TimeSpan.FromSeconds(1), out _, out var error));
        Assert.Equal(ClientTokenError.NotYetValid, error);
    }

    [Fact]
    public void LifetimeLongerThanTheVerifiersMaximumIsRefused()
    {
        string token = Tokens(maxMinutes: 60).Mint(Claims with { ExpiresAt = IssuedAt.AddMinutes(30) });
        Assert.False(Tokens(maxMinutes: 10).TryVerify(token, IssuedAt, out _, out var error));
        Assert.Equal(ClientTokenError.LifetimeTooLong, error);
    }

    [Fact]
    public void EveryTamperedPayloadCharacterBreaksTheSignature()
    {
        var tokens = Tokens();
        string token = tokens.Mint(Claims);
        int payloadEnd = token.LastIndexOf('.');
        for (int i = ClientToken.Prefix.Length; i < payloadEnd; i++)
        {
            string tampered = token[..i] + (token[i] == 'A' ? 'B' : 'A') + token[(i + 1)..];
            Assert.False(tokens.TryVerify(tampered, IssuedAt, out _, out var error));
            Assert.Equal(ClientTokenError.BadSignature, error);
        }
    }

    [Fact]
    public void EveryTamperedSignatureCharacterIsRefused()
    {
        var tokens = Tokens();
        string token = tokens.Mint(Claims);
        for (int i = token.LastIndexOf('.') + 1; i < token.Length; i++)
        {
            foreach (char replacement in "AEQgw-_9")
            {
                if (replacement == token[i])
                    continue;
                string tampered = token[..i] + replacement + token[(i + 1)..];
                Assert.False(tokens.TryVerify(tampered, IssuedAt, out _, out var error));
                Assert.Equal(ClientTokenError.BadSignature, error);
            }
        }
    }

    [Fact]
    public void SignatureDifferingOnlyInUnusedBitsIsRefused()
    {
        // 32 bytes take 43 base64url characters; the last carries 2 data bits and 4 unused ones.
        var tokens = Tokens();
        string token = tokens.Mint(Claims);
        char last = token[^1];
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char sibling = alphabet[alphabet.IndexOf(last) ^ 1];
        string tampered = token[..^1] + sibling;
        Assert.False(tokens.TryVerify(tampered, IssuedAt, out _, out var error));
        Assert.Equal(ClientTokenError.BadSignature, error);
    }

    [Fact]
    public void TokenFromAnotherSecretIsRefused()
    {
        byte[] other = (byte[])Secret.Clone();
        other[^1] ^= 0x80;
        string token = Tokens(other).Mint(Claims);
        Assert.False(Tokens().TryVerify(token, IssuedAt, out _, out var error));
        Assert.Equal(ClientTokenError.BadSignature, error);
    }

    [Fact]
    public void SignedButUndecodablePayloadIsMalformed()
    {
        // Only a secret holder can produce this; the verifier still parses it defensively.
        foreach (byte[] payload in new[] { new byte[] { 1, 2, 3 }, new byte[40], Enumerable.Repeat((byte)0xFF, 120).ToArray() })
        {
            string signed = ClientToken.Prefix + Base64Url.EncodeToString(payload);
            string token = signed + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Secret, Encoding.ASCII.GetBytes(signed)));
            Assert.False(Tokens().TryVerify(token, IssuedAt, out _, out var error));
            Assert.Equal(ClientTokenError.Malformed, error);
        }
    }

    [Theory]
    [InlineData(null, ClientTokenError.Malformed)]
    [InlineData("", ClientTokenError.Malformed)]
    [InlineData("ev1.", ClientTokenError.Malformed)]
    [InlineData("ev1..", ClientTokenError.Malformed)]
    [InlineData("ev1.abc", ClientTokenError.Malformed)]
    [InlineData("ev1.abc.def", ClientTokenError.Malformed)]
    [InlineData("ev1.ab=c.0123456789012345678901234567890123456789012", ClientTokenError.Malformed)]
    [InlineData("ev1.abc.012345678901234567890123456789012345678901+", ClientTokenError.Malformed)]
    [InlineData("ev1.abc.0123456789012345678901234567890123456789012", ClientTokenError.BadSignature)]
    [InlineData("ev2.abc.0123456789012345678901234567890123456789012", ClientTokenError.UnsupportedVersion)]
    [InlineData("Bearer ev1.abc.def", ClientTokenError.Malformed)]
    [InlineData("sk-live-0123456789", ClientTokenError.Malformed)]
    [InlineData("ev1.abc.0123456789012345678901234567890123456789012 ", ClientTokenError.Malformed)]
    public void GarbageIsRefused(string? token, ClientTokenError expected)
    {
        Assert.False(Tokens().TryVerify(token, IssuedAt, out var claims, out var error));
        Assert.Null(claims);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void OverlongTokenIsRefusedBeforeAnyWork()
    {
        string token = "ev1." + new string('A', ClientToken.MaxTokenLength) + ".x";
        Assert.False(Tokens().TryVerify(token, IssuedAt, out _, out var error));
        Assert.Equal(ClientTokenError.Malformed, error);
    }

    [Fact]
    public void LongestClaimsStillFit()
    {
        var tokens = Tokens();
        var claims = Claims with { KeyId = new string('k', ClientToken.MaxKeyIdBytes), AllowedOrigin = "https://" + new string('o', ClientToken.MaxOriginBytes - 8) };
        Assert.True(tokens.TryVerify(tokens.Mint(claims), IssuedAt, out var read, out _));
        Assert.Equal(claims, read);
    }

    [Fact]
    public void InvalidMintArgumentsAreCallerErrors()
    {
        var tokens = Tokens(maxMinutes: 10);
        Assert.Throws<ArgumentException>(() => new ClientToken(new byte[31], TimeSpan.FromMinutes(5)));
        Assert.Throws<ArgumentException>(() => tokens.Mint(Claims with { ExpiresAt = IssuedAt.AddMinutes(11) }));
        Assert.Throws<ArgumentException>(() => tokens.Mint(Claims with { ExpiresAt = IssuedAt }));
        Assert.Throws<ArgumentException>(() => tokens.Mint(Claims with { KeyId = "" }));
        Assert.Throws<ArgumentException>(() => tokens.Mint(Claims with { KeyId = new string('k', 65) }));
        Assert.Throws<ArgumentException>(() => tokens.Mint(Claims with { AllowedOrigin = "" }));
        Assert.Throws<ArgumentException>(() => tokens.Mint(Claims with { MaxCallSeconds = 0 }));
        Assert.Throws<ArgumentException>(() => tokens.Mint(Claims with { TokenId = "xyz" }));
    }

    [Fact]
    public void RandomInputNeverThrowsAndNeverVerifies()
    {
        var random = new Random(7519);
        var tokens = Tokens();
        string valid = tokens.Mint(Claims);
        const string alphabet = "ABCabc019-_.=+/ ev";
        for (int i = 0; i < 4000; i++)
        {
            string input;
            if (i % 2 == 0)
            {
                var chars = new char[random.Next(0, 200)];
                for (int c = 0; c < chars.Length; c++)
                    chars[c] = random.Next(3) == 0 ? (char)random.Next(0, 0x10000) : alphabet[random.Next(alphabet.Length)];
                input = (random.Next(2) == 0 ? "ev1." : "") + new string(chars);
            }
            else
            {
                var chars = valid.ToCharArray().ToList();
                for (int m = random.Next(1, 4); m > 0 && chars.Count > 0; m--)
                {
                    int at = random.Next(chars.Count);
                    if (random.Next(3) == 0)
                        chars.RemoveAt(at);
                    else
                        chars[at] = alphabet[random.Next(alphabet.Length)];
                }
                input = new string(chars.ToArray());
                if (input == valid)
                    continue;
            }
            Assert.False(tokens.TryVerify(input, IssuedAt, out var claims, out var error), input);
            Assert.Null(claims);
            Assert.NotEqual(ClientTokenError.None, error);
        }
    }
}
