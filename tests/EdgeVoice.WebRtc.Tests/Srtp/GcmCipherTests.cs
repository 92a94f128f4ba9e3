using System.Security.Cryptography;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Tests.Srtp;

/// <summary>
/// AES-128-GCM on both paths (AES-NI where this CPU has it, libcrypto always): McGrew-Viega and NIST
/// CAVS vectors, RFC 7714 vectors at the cipher level, a cross-check of the two paths and .NET's AesGcm
/// on random inputs, forged input, and zero allocations per packet.
/// </summary>
public class GcmCipherTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s);

    /// <summary>"libcrypto" always; "aes-ni" where this CPU runs it (a CPU without it must not fail the suite).</summary>
    private static string[] PathNames => AesNiGcm.IsSupported ? ["libcrypto", "aes-ni"] : ["libcrypto"];

    public static TheoryData<string> Paths() => new(PathNames);

    private static GcmCipher Create(string path, byte[] key)
    {
        var cipher = GcmCipher.Create(key, useLibCrypto: path == "libcrypto");
        Assert.Equal(path, cipher.ImplementationInUse);
        return cipher;
    }

    // McGrew-Viega, "The Galois/Counter Mode of Operation", test cases 1-4 (AES-128, 96-bit IV), and NIST CAVS
    // gcmEncryptExtIV128 (Keylen 128, IVlen 96, PTlen 0, AADlen 128, count 0): key, IV, AAD, plaintext, ciphertext, tag.
    public static TheoryData<string, string, string, string, string, string> Vectors => new()
    {
        { "00000000000000000000000000000000", "000000000000000000000000", "", "", "", "58e2fccefa7e3061367f1d57a4e7455a" },
        {
            "00000000000000000000000000000000", "000000000000000000000000", "", "00000000000000000000000000000000",
            "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"
        },
        {
            "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
            "4d5c2af327cd64a62cf35abd2ba6fab4"
        },
        {
            "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47"
        },
        { "77be63708971c4e240d1cb79e8d77feb", "e0e00f19fed7ba0136a797f3", "7a43ec1d9c0a5a78a0b16533a6213cab", "", "", "209fcc8d3675ed938e9c7166709dd946" },
        // RFC 7714 §16.1.1 (SRTP): IV = salt ^ (00 00 || SSRC || ROC || SEQ), AAD = the 12-byte RTP header.
        {
            "000102030405060708090a0b0c0d0e0f", "51753c6580c2726f20718414", "8040f17b8041f8d35501a0b2",
            "47616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573",
            "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833",
            "899d7f27beb16a9152cf765ee4390cce"
        },
        // RFC 7714 §17.1 (SRTCP): IV = salt ^ (00 00 || SSRC || 00 00 || index), AAD = 8-byte header || E || index.
        {
            "000102030405060708090a0b0c0d0e0f", "517524055203726f207170bb", "81c8000d4d617273800005d4",
            "4e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
            "63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded0bb9275b",
            "c84aa45896cf4d2fc5abf87245d9eade"
        },
        // RFC 7714 §17.2 (SRTCP, E = 0): the whole packet and the index are AAD, nothing is encrypted.
        {
            "000102030405060708090a0b0c0d0e0f", "517524055203726f207170bb",
            "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef000005d4",
            "", "", "841dd9683dd78ec92ae58790125f62b3"
        },
    };

    /// <summary>Each vector on each path, the AAD split into (aad1, aad2) at every point, as SrtpContext passes it.</summary>
    public static TheoryData<string, string, string, string, string, string, string> VectorsOnPaths()
    {
        var data = new TheoryData<string, string, string, string, string, string, string>();
        foreach (string path in PathNames)
            foreach (object[] v in Vectors)
                data.Add(path, (string)v[0], (string)v[1], (string)v[2], (string)v[3], (string)v[4], (string)v[5]);
        return data;
    }

    [Theory]
    [MemberData(nameof(VectorsOnPaths))]
    public void SealMatchesKnownAnswerForEveryAadSplit(string path, string key, string iv, string aad, string plain, string cipherText, string tag)
    {
        using var cipher = Create(path, Hex(key));
        byte[] associated = Hex(aad);
        for (int split = 0; split <= associated.Length; split++)
        {
            byte[] data = Hex(plain);
            byte[] computed = new byte[GcmCipher.TagLength];
            cipher.Seal(Hex(iv), associated.AsSpan(0, split), associated.AsSpan(split), data, computed);
            Assert.Equal(cipherText, Convert.ToHexString(data).ToLowerInvariant());
            Assert.Equal(tag, Convert.ToHexString(computed).ToLowerInvariant());
        }
    }

    [Theory]
    [MemberData(nameof(VectorsOnPaths))]
    public void OpenRecoversKnownPlaintextAndRejectsEachFlippedTagBit(string path, string key, string iv, string aad, string plain, string cipherText, string tag)
    {
        using var cipher = Create(path, Hex(key));
        byte[] associated = Hex(aad);
        byte[] data = Hex(cipherText);
        Assert.True(cipher.TryOpen(Hex(iv), associated.AsSpan(0, associated.Length / 2), associated.AsSpan(associated.Length / 2), data, Hex(tag)));
        Assert.Equal(plain, Convert.ToHexString(data).ToLowerInvariant());
        for (int bit = 0; bit < 8 * GcmCipher.TagLength; bit++)
        {
            byte[] forged = Hex(tag);
            forged[bit / 8] ^= (byte)(1 << (bit % 8));
            data = Hex(cipherText);
            Assert.False(cipher.TryOpen(Hex(iv), associated, default, data, forged));
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void FailedOpenLeavesNoUnauthenticatedPlaintext(string path)
    {
        byte[] key = Hex("feffe9928665731c6d6a8f9467308308"), nonce = Hex("cafebabefacedbaddecaf888");
        using var cipher = Create(path, key);
        byte[] plain = Enumerable.Range(0, 160).Select(i => (byte)(i * 7 + 1)).ToArray();
        byte[] data = (byte[])plain.Clone();
        byte[] tag = new byte[GcmCipher.TagLength];
        cipher.Seal(nonce, [1, 2, 3], default, data, tag);
        byte[] sealedData = (byte[])data.Clone();
        tag[0] ^= 0x80;
        Assert.False(cipher.TryOpen(nonce, [1, 2, 3], default, data, tag));
        // The AES-NI path checks before it decrypts; libcrypto decrypts first, so its data is zeroed instead.
        Assert.Equal(path == "aes-ni" ? sealedData : new byte[data.Length], data);
    }

    public static TheoryData<int, int, bool> BadShapes => new()
    {
        { 11, 16, true }, // short nonce
        { 13, 16, true }, // long nonce
        { 0, 16, true },
        { 11, 16, false },
        { 13, 16, false },
        { 12, 15, false }, // short tag buffer on seal
        { 12, 15, true }, // short tag on open
        { 12, 17, true }, // long tag on open
    };

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void BadNonceOrTagLengthIsAnArgumentError(int nonceLength, int tagLength, bool open)
    {
        foreach (string path in PathNames)
        {
            using var cipher = Create(path, new byte[16]);
            byte[] data = new byte[20];
            if (open)
                Assert.Throws<ArgumentException>(() => cipher.TryOpen(new byte[nonceLength], default, default, data, new byte[tagLength]));
            else
                Assert.Throws<ArgumentException>(() => cipher.Seal(new byte[nonceLength], default, default, data, new byte[tagLength]));
            Assert.Equal(new byte[20], data);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(24)]
    [InlineData(32)]
    public void KeyOtherThan128BitsIsRejected(int length)
    {
        Assert.Throws<ArgumentException>(() => GcmCipher.Create(new byte[length]));
        Assert.Throws<ArgumentException>(() => GcmCipher.Create(new byte[length], useLibCrypto: true));
    }

    [Fact]
    public void DefaultPathIsAesNiExactlyWhereTheCpuHasIt()
    {
        using var cipher = GcmCipher.Create(new byte[16]);
        string expected = AesNiGcm.IsSupported ? "aes-ni" : "libcrypto";
        Assert.Equal(expected, cipher.ImplementationInUse);
        Assert.Equal(expected, GcmCipher.Implementation);
    }

    [Fact]
    public void DisposedCipherRefusesWork()
    {
        foreach (string path in PathNames)
        {
            var cipher = Create(path, new byte[16]);
            cipher.Dispose();
            Assert.Throws<ObjectDisposedException>(() => cipher.Seal(new byte[12], default, default, new byte[4], new byte[16]));
            Assert.Throws<ObjectDisposedException>(() => cipher.TryOpen(new byte[12], default, default, new byte[4], new byte[16]));
        }
    }

    /// <summary>
    /// Random keys, nonces, split AAD and lengths 0..1500: the AES-NI path, libcrypto and .NET's AesGcm agree;
    /// each path opens the other's output; one flipped bit in ciphertext, tag or AAD fails to open on both.
    /// </summary>
    [Fact]
    public void PathsAgreeOnRandomInputAndRejectEveryFlippedBit()
    {
        var random = new Random(7714);
        bool aesNi = AesNiGcm.IsSupported;
        for (int i = 0; i < 3000; i++)
        {
            byte[] key = RandomBytes(random, 16), nonce = RandomBytes(random, 12);
            byte[] aad1 = RandomBytes(random, random.Next(0, i % 4 == 0 ? 70 : 20)), aad2 = RandomBytes(random, random.Next(0, 20));
            byte[] plain = RandomBytes(random, i < 200 ? i : random.Next(0, 1501));
            byte[] aad = [.. aad1, .. aad2];

            using var libCrypto = GcmCipher.Create(key, useLibCrypto: true);
            using var dotnet = new AesGcm(key, GcmCipher.TagLength);
            byte[] referenceData = new byte[plain.Length], referenceTag = new byte[16];
            dotnet.Encrypt(nonce, plain, referenceData, referenceTag, aad);

            byte[] fromLibCrypto = (byte[])plain.Clone(), libCryptoTag = new byte[16];
            libCrypto.Seal(nonce, aad1, aad2, fromLibCrypto, libCryptoTag);
            Assert.Equal(referenceData, fromLibCrypto);
            Assert.Equal(referenceTag, libCryptoTag);
            if (!aesNi)
                continue;

            using var intrinsic = GcmCipher.Create(key, useLibCrypto: false);
            byte[] fromAesNi = (byte[])plain.Clone(), aesNiTag = new byte[16];
            intrinsic.Seal(nonce, aad1, aad2, fromAesNi, aesNiTag);
            Assert.Equal(referenceData, fromAesNi);
            Assert.Equal(referenceTag, aesNiTag);

            byte[] opened = (byte[])fromLibCrypto.Clone();
            Assert.True(intrinsic.TryOpen(nonce, aad1, aad2, opened, libCryptoTag));
            Assert.Equal(plain, opened);
            opened = (byte[])fromAesNi.Clone();
            Assert.True(libCrypto.TryOpen(nonce, aad1, aad2, opened, aesNiTag));
            Assert.Equal(plain, opened);

            int where = random.Next(3);
            byte[] badData = (byte[])fromAesNi.Clone(), badTag = (byte[])aesNiTag.Clone(), badAad1 = (byte[])aad1.Clone(), badAad2 = (byte[])aad2.Clone();
            if (where == 0 && badData.Length > 0)
                Flip(random, badData);
            else if (where == 1 && aad.Length > 0)
                Flip(random, random.Next(aad.Length) < aad1.Length ? badAad1 : badAad2);
            else
                Flip(random, badTag);
            Assert.False(intrinsic.TryOpen(nonce, badAad1, badAad2, (byte[])badData.Clone(), badTag));
            Assert.False(libCrypto.TryOpen(nonce, badAad1, badAad2, (byte[])badData.Clone(), badTag));
        }
    }

    private static void Flip(Random random, byte[] bytes)
    {
        if (bytes.Length == 0)
            throw new InvalidOperationException("nothing to flip");
        bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SealAndOpenAllocateNothing(string path)
    {
        using var cipher = Create(path, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray());
        byte[] packet = new byte[12 + 160], nonce = new byte[12], tag = new byte[16], sealedPacket = new byte[packet.Length];
        byte[] forgedTag = new byte[16];
        for (int i = 0; i < 100; i++) // warm up (tiered compilation)
            RoundTrip();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            RoundTrip();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void RoundTrip()
        {
            cipher.Seal(nonce, packet.AsSpan(0, 12), default, packet.AsSpan(12), tag);
            packet.CopyTo(sealedPacket, 0);
            if (!cipher.TryOpen(nonce, packet.AsSpan(0, 12), default, packet.AsSpan(12), tag))
                throw new InvalidOperationException("a sealed packet did not open");
            if (cipher.TryOpen(nonce, sealedPacket.AsSpan(0, 12), default, sealedPacket.AsSpan(12), forgedTag))
                throw new InvalidOperationException("a forged tag opened");
        }
    }
}
