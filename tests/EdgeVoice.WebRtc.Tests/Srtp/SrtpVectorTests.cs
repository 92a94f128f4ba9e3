using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Tests.Srtp;

/// <summary>Known-answer tests: RFC 3711 Appendix B.2 and B.3, RFC 7714 §16 and §17.</summary>
public class SrtpVectorTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "").Replace("\n", ""));

    public static TheoryData<string, string> AesCmKeystream => new()
    {
        // RFC 3711 B.2: session key 2B7E1516..., salt F0F1...FCFD, SSRC and index 0: counter -> keystream block.
        { "F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", "E03EAD0935C95E80E166B16DD92B4EB4" },
        { "F0F1F2F3F4F5F6F7F8F9FAFBFCFD0001", "D23513162B02D0F72A43A2FE4A5F97AB" },
        { "F0F1F2F3F4F5F6F7F8F9FAFBFCFD0002", "41E95B3BB0A2E8DD477901E4FCA894C0" },
        { "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF", "EC8CDF7398607CB0F2D21675EA9EA1E4" },
        { "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFF00", "362B7C3C6773516318A077D7FC5073AE" },
        { "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFF01", "6A2CC3787889374FBEB4C81B17BA6C44" },
    };

    [Theory]
    [MemberData(nameof(AesCmKeystream))]
    public void Rfc3711B2KeystreamBlock(string counter, string keystream)
    {
        using var cipher = new CounterModeCipher(Hex("2B7E151628AED2A6ABF7158809CF4F3C"));
        byte[] block = new byte[16];
        cipher.Transform(Hex(counter), block);
        Assert.Equal(keystream, Convert.ToHexString(block));
    }

    [Fact]
    public void Rfc3711B2KeystreamRunsAcrossBlocks()
    {
        using var cipher = new CounterModeCipher(Hex("2B7E151628AED2A6ABF7158809CF4F3C"));
        byte[] stream = new byte[48];
        cipher.Transform(Hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"), stream);
        Assert.Equal("E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0", Convert.ToHexString(stream));
    }

    public static TheoryData<byte, string> KeyDerivation => new()
    {
        // RFC 3711 B.3: master key E1F97A0D..., master salt 0EC675AD...: label -> derived bytes.
        { 0x00, "C61E7A93744F39EE10734AFE3FF7A087" },
        { 0x02, "30CBBC08863D8C85D49DB34A9AE1" },
        { 0x01, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4" },
        // The B.3 text lists more of the label-1 keystream; its first 94 octets pin the counter sequence.
        { 0x01, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCEE049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC256D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2" },
    };

    [Theory]
    [MemberData(nameof(KeyDerivation))]
    public void Rfc3711B3KeyDerivation(byte label, string expected)
    {
        using var prf = new CounterModeCipher(Hex("E1F97A0D3E018BE0D64FA32C06DE4139"));
        byte[] output = new byte[expected.Length / 2];
        SrtpKeyDerivation.Derive(prf, Hex("0EC675AD498AFEEBB6960B3AABE6"), label, output);
        Assert.Equal(expected, Convert.ToHexString(output));
    }

    // RFC 7714 §16.1 / §17.1: AEAD_AES_128_GCM with session key 00..0f and session salt "Quid pro quo".
    private const string GcmKey = "000102030405060708090a0b0c0d0e0f";
    private const string GcmSalt = "517569642070726f2071756f";

    public static TheoryData<string, string> GcmRtp => new()
    {
        {
            "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e2070617274657320747265" + "73",
            "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf" +
            "8833899d7f27beb16a9152cf765ee4390cce"
        },
    };

    private static SrtpContext GcmContext() => SrtpContext.FromSessionKeys(SrtpProfile.AeadAes128Gcm,
        Hex(GcmKey), Hex(GcmSalt), [], Hex(GcmKey), Hex(GcmSalt), []);

    [Theory]
    [MemberData(nameof(GcmRtp))]
    public void Rfc7714Section16RtpEncryption(string plain, string protectedPacket)
    {
        using var sender = GcmContext();
        byte[] buffer = new byte[plain.Length / 2 + SrtpContext.MaxOverhead];
        Hex(plain).CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtp(buffer, plain.Length / 2, out int length, out var error), error.ToString());
        Assert.Equal(protectedPacket, Convert.ToHexString(buffer, 0, length).ToLowerInvariant());
    }

    [Theory]
    [MemberData(nameof(GcmRtp))]
    public void Rfc7714Section16RtpDecryption(string plain, string protectedPacket)
    {
        using var receiver = GcmContext();
        byte[] buffer = Hex(protectedPacket);
        Assert.True(receiver.TryUnprotectRtp(buffer, buffer.Length, out int length, out var error), error.ToString());
        Assert.Equal(plain, Convert.ToHexString(buffer, 0, length).ToLowerInvariant());
    }

    private const string RtcpPlain = "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61" +
                                     "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
    private const string RtcpProtected = "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded" +
                                         "0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4";

    [Fact]
    public void Rfc7714Section17RtcpEncryption()
    {
        using var sender = GcmContext();
        sender.SetNextRtcpIndex(0x4d617273, 0x5d4);
        byte[] buffer = new byte[RtcpPlain.Length / 2 + SrtpContext.MaxOverhead];
        Hex(RtcpPlain).CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtcp(buffer, RtcpPlain.Length / 2, out int length, out var error), error.ToString());
        Assert.Equal(RtcpProtected, Convert.ToHexString(buffer, 0, length).ToLowerInvariant());
    }

    [Fact]
    public void Rfc7714Section17RtcpDecryption()
    {
        using var receiver = GcmContext();
        byte[] buffer = Hex(RtcpProtected);
        Assert.True(receiver.TryUnprotectRtcp(buffer, buffer.Length, out int length, out var error), error.ToString());
        Assert.Equal(RtcpPlain, Convert.ToHexString(buffer, 0, length).ToLowerInvariant());
    }

    [Fact]
    public void Rfc7714Section17UnencryptedRtcpIsAuthenticatedWhole()
    {
        // §17.2: the same packet with E = 0, tag computed over the whole packet as AAD.
        using var receiver = GcmContext();
        byte[] buffer = Hex(RtcpPlain + "841dd9683dd78ec92ae58790125f62b3000005d4");
        Assert.True(receiver.TryUnprotectRtcp(buffer, buffer.Length, out int length, out var error), error.ToString());
        Assert.Equal(RtcpPlain, Convert.ToHexString(buffer, 0, length).ToLowerInvariant());
        buffer[10] ^= 1;
        using var other = GcmContext();
        Assert.False(other.TryUnprotectRtcp(buffer, buffer.Length, out _, out error));
        Assert.Equal(SrtpError.AuthenticationFailed, error);
    }
}
