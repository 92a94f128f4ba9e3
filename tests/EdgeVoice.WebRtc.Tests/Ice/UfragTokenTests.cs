using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EdgeVoice.WebRtc.Ice;

namespace EdgeVoice.WebRtc.Tests.Ice;

public class UfragTokenTests
{
    internal static readonly byte[] Secret = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    [Theory]
    [InlineData(0ul)]
    [InlineData(1ul)]
    [InlineData(0x0123456789ABCDEFul)]
    [InlineData(ulong.MaxValue)]
    public void Mint_then_read_gives_the_session_id(ulong sessionId)
    {
        string ufrag = UfragToken.Mint(sessionId, Secret);
        Assert.Equal(UfragToken.Length, ufrag.Length);
        Assert.All(Encoding.ASCII.GetBytes(ufrag), c => Assert.True(UfragToken.IsIceChar(c)));
        Assert.True(UfragToken.TryRead(Encoding.ASCII.GetBytes(ufrag), Secret, out ulong read));
        Assert.Equal(sessionId, read);
    }

    [Fact]
    public void Verifier_with_a_kept_key_agrees_with_the_one_shot_read_and_allocates_nothing()
    {
        using var verifier = new UfragTokenVerifier(Secret);
        var random = new Random(5);
        byte[] forged = new byte[UfragToken.Length];
        for (int i = 0; i < 2000; i++)
        {
            ulong id = (ulong)random.NextInt64();
            byte[] ufrag = Encoding.ASCII.GetBytes(UfragToken.Mint(id, Secret));
            Assert.True(verifier.TryRead(ufrag, out ulong read));
            Assert.Equal(id, read);
            ufrag[random.Next(ufrag.Length)] ^= (byte)(1 + random.Next(63));
            Assert.Equal(UfragToken.TryRead(ufrag, Secret, out _), verifier.TryRead(ufrag, out _));
            random.NextBytes(forged);
            Assert.False(verifier.TryRead(forged, out _));
        }
        byte[] valid = Encoding.ASCII.GetBytes(UfragToken.Mint(42, Secret));
        verifier.TryRead(valid, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            verifier.TryRead(valid, out _);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Mint_is_deterministic_and_keyed()
    {
        byte[] otherSecret = (byte[])Secret.Clone();
        otherSecret[^1] ^= 1;
        Assert.Equal(UfragToken.Mint(7, Secret), UfragToken.Mint(7, Secret));
        Assert.NotEqual(UfragToken.Mint(7, Secret), UfragToken.Mint(8, Secret));
        Assert.NotEqual(UfragToken.Mint(7, Secret), UfragToken.Mint(7, otherSecret));
        Assert.False(UfragToken.TryRead(Encoding.ASCII.GetBytes(UfragToken.Mint(7, Secret)), otherSecret, out _));
    }

    [Fact]
    public void Every_single_character_change_is_rejected()
    {
        byte[] ufrag = Encoding.ASCII.GetBytes(UfragToken.Mint(0xDEADBEEF, Secret));
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int position = 0; position < ufrag.Length; position++)
        {
            foreach (char c in alphabet)
            {
                if (c == ufrag[position])
                    continue;
                byte[] tampered = (byte[])ufrag.Clone();
                tampered[position] = (byte)c;
                Assert.False(UfragToken.TryRead(tampered, Secret, out ulong id), $"position {position} -> {c}");
                Assert.Equal(0ul, id);
            }
        }
    }

    [Fact]
    public void Tampered_mac_with_valid_session_id_is_rejected()
    {
        byte[] token = Convert.FromBase64String(UfragToken.Mint(42, Secret));
        for (int i = 8; i < token.Length; i++)
        {
            byte[] tampered = (byte[])token.Clone();
            tampered[i] ^= 0x01;
            Assert.False(UfragToken.TryRead(Encoding.ASCII.GetBytes(Convert.ToBase64String(tampered)), Secret, out _));
        }
    }

    public static TheoryData<string> ForgedUfrags => new()
    {
        "",
        "abcd",
        "AAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAA==",
        "AAAAAAAAAAAA AAAAAAAAAAA",
        "AAAAAAAAAAAA-AAAAAAAAAAA",
        "AAAAAAAAAAAA\nAAAAAAAAAAA",
        "AAAAAAAAAAAA:AAAAAAAAAAA",
    };

    [Theory]
    [MemberData(nameof(ForgedUfrags))]
    public void Forged_ufrags_are_rejected(string ufrag)
    {
        Assert.False(UfragToken.TryRead(Encoding.ASCII.GetBytes(ufrag), Secret, out _));
    }

    [Fact]
    public void Random_ufrags_are_rejected()
    {
        var random = new Random(8445);
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        byte[] ufrag = new byte[UfragToken.Length];
        for (int i = 0; i < 20_000; i++)
        {
            for (int j = 0; j < ufrag.Length; j++)
                ufrag[j] = (byte)alphabet[random.Next(alphabet.Length)];
            Assert.False(UfragToken.TryRead(ufrag, Secret, out _));
            byte[] bytes = new byte[random.Next(0, 40)];
            random.NextBytes(bytes);
            Assert.False(UfragToken.TryRead(bytes, Secret, out _));
        }
    }

    [Fact]
    public void Short_secret_is_a_configuration_error()
    {
        Assert.Throws<ArgumentException>(() => UfragToken.Mint(1, new byte[15]));
        string ufrag = UfragToken.Mint(1, new byte[16]);
        Assert.True(UfragToken.TryRead(Encoding.ASCII.GetBytes(ufrag), new byte[16], out _));
        Assert.False(UfragToken.TryRead(Encoding.ASCII.GetBytes(ufrag), new byte[15], out _));
    }

    [Fact]
    public void TryRead_allocates_nothing()
    {
        byte[] valid = Encoding.ASCII.GetBytes(UfragToken.Mint(99, Secret));
        byte[] forged = Encoding.ASCII.GetBytes("AAAAAAAAAAAAAAAAAAAAAAAA");
        for (int i = 0; i < 100; i++)
            UfragToken.TryRead(valid, Secret, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(UfragToken.TryRead(valid, Secret, out _));
            Assert.False(UfragToken.TryRead(forged, Secret, out _));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // Computed outside .NET (Python, HMAC-SHA256 then AES-128-ECB from the cryptography package).
    [Theory]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0ul, "AAAAAAAAAABcrOHkhr1H3ImX")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 1ul, "AAAAAAAAAAG68cz4HNhKF3zj")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0x0123456789ABCDEFul, "ASNFZ4mrze9Y8BMWXhKUXfyO")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", ulong.MaxValue, "///////////qousB+Dsov8On")]
    [InlineData("00000000000000000000000000000000", 42ul, "AAAAAAAAACrC/AQn+pEtlcYp")]
    public void Tag_known_answers(string secretHex, ulong sessionId, string expected)
    {
        byte[] secret = Convert.FromHexString(secretHex);
        Assert.Equal(expected, UfragToken.Mint(sessionId, secret));
        Assert.Equal(expected, IndependentMint(sessionId, secret));
        foreach (bool useAesNi in new[] { true, false })
        {
            using var verifier = new UfragTokenVerifier(secret, useAesNi);
            Assert.True(verifier.TryRead(Encoding.ASCII.GetBytes(expected), out ulong read));
            Assert.Equal(sessionId, read);
        }
    }

    // The v2 tag by hand: K = HMAC-SHA256(secret, label)[..16]; tag = AES-128-ECB_K("ufrag-v2" || id BE)[..10].
    private static string IndependentMint(ulong sessionId, byte[] secret)
    {
        byte[] key = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes("edgevoice ice-ufrag v2"))[..16];
        using var aes = Aes.Create();
        aes.Key = key;
        byte[] block = new byte[16];
        Encoding.ASCII.GetBytes("ufrag-v2").CopyTo(block, 0);
        BinaryPrimitives.WriteUInt64BigEndian(block.AsSpan(8), sessionId);
        byte[] cipher = aes.EncryptEcb(block, PaddingMode.None);
        byte[] token = new byte[18];
        BinaryPrimitives.WriteUInt64BigEndian(token, sessionId);
        cipher.AsSpan(0, 10).CopyTo(token.AsSpan(8));
        return Convert.ToBase64String(token);
    }

    [Fact]
    public void Aes_ni_and_fallback_agree_on_random_ids_and_secrets()
    {
        var random = new Random(8446);
        Span<byte> withAesNi = stackalloc byte[10];
        Span<byte> withFallback = stackalloc byte[10];
        for (int i = 0; i < 2000; i++)
        {
            byte[] secret = new byte[random.Next(16, 65)];
            random.NextBytes(secret);
            ulong id = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
            var fast = new UfragTagKey(secret, useAesNi: true);
            var slow = new UfragTagKey(secret, useAesNi: false);
            Assert.Equal(System.Runtime.Intrinsics.X86.Aes.IsSupported, fast.UsesAesNi);
            Assert.False(slow.UsesAesNi);
            fast.ComputeTag(id, withAesNi);
            slow.ComputeTag(id, withFallback);
            fast.Dispose();
            slow.Dispose();
            Assert.True(withAesNi.SequenceEqual(withFallback), $"case {i}");
            if (i % 100 == 0)
                Assert.Equal(IndependentMint(id, secret), UfragToken.Mint(id, secret));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_one_bit_flip_of_the_token_is_rejected(bool useAesNi)
    {
        using var verifier = new UfragTokenVerifier(Secret, useAesNi);
        var random = new Random(useAesNi ? 1 : 2);
        for (int round = 0; round < 20; round++)
        {
            ulong id = (ulong)random.NextInt64();
            byte[] token = Convert.FromBase64String(UfragToken.Mint(id, Secret));
            Assert.True(verifier.TryRead(Encoding.ASCII.GetBytes(Convert.ToBase64String(token)), out ulong read));
            Assert.Equal(id, read);
            for (int bit = 0; bit < token.Length * 8; bit++)
            {
                byte[] flipped = (byte[])token.Clone();
                flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.False(verifier.TryRead(Encoding.ASCII.GetBytes(Convert.ToBase64String(flipped)), out read), $"bit {bit}");
                Assert.Equal(0ul, read);
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Verifier_TryRead_allocates_nothing_on_either_path(bool useAesNi)
    {
        using var verifier = new UfragTokenVerifier(Secret, useAesNi);
        byte[] valid = Encoding.ASCII.GetBytes(UfragToken.Mint(7, Secret));
        byte[] forged = Encoding.ASCII.GetBytes("Q2hyb21lRm9yZ2VkVWZyYWcx");
        for (int i = 0; i < 100; i++)
            verifier.TryRead(forged, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            Assert.True(verifier.TryRead(valid, out _));
            Assert.False(verifier.TryRead(forged, out _));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Ice_char_check_matches_the_alphabet_for_every_byte()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        byte[] ufrag = Encoding.ASCII.GetBytes(UfragToken.Mint(5, Secret));
        for (int c = 0; c < 256; c++)
        {
            Assert.Equal(alphabet.Contains((char)c), UfragToken.IsIceChar((byte)c));
            foreach (int position in new[] { 0, 7, 15, 16, 23 })
            {
                byte[] tampered = (byte[])ufrag.Clone();
                tampered[position] = (byte)c;
                if (!alphabet.Contains((char)c))
                    Assert.False(UfragToken.TryDecode(tampered, new byte[18]), $"byte {c} at {position}");
            }
        }
    }

    [Theory]
    [InlineData("relay:client", "relay", "client")]
    [InlineData("a:b", "a", "b")]
    [InlineData("a:b:c", "a", "b:c")]
    public void Username_splits_recipient_first(string username, string recipient, string sender)
    {
        Assert.True(UfragToken.TrySplitUsername(Encoding.ASCII.GetBytes(username), out var r, out var s));
        Assert.Equal(recipient, Encoding.ASCII.GetString(r));
        Assert.Equal(sender, Encoding.ASCII.GetString(s));
    }

    [Theory]
    [InlineData("")]
    [InlineData("relay")]
    [InlineData(":client")]
    [InlineData("relay:")]
    [InlineData(":")]
    public void Username_without_two_parts_does_not_split(string username)
    {
        Assert.False(UfragToken.TrySplitUsername(Encoding.ASCII.GetBytes(username), out _, out _));
    }
}
