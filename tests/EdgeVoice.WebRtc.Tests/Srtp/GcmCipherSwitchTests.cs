using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Tests.Srtp;

/// <summary>The AppContext switch is process-wide: these tests run alone, so no other test's cipher sees it set.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GcmSwitchCollection
{
    public const string Name = "GCM AppContext switch";
}

[Collection(GcmSwitchCollection.Name)]
public class GcmCipherSwitchTests
{
    [Fact]
    public void SwitchKeepsNewCiphersOnLibCryptoAndTheyStillMatchRfc7714()
    {
        AppContext.SetSwitch(GcmCipher.UseLibCryptoSwitch, true);
        try
        {
            Assert.Equal("libcrypto", GcmCipher.Implementation);
            using var cipher = GcmCipher.Create(Convert.FromHexString("000102030405060708090a0b0c0d0e0f"));
            Assert.Equal("libcrypto", cipher.ImplementationInUse);

            // RFC 7714 §16 through SrtpContext, which makes its own ciphers: the fallback end to end.
            using var context = SrtpContext.FromSessionKeys(SrtpProfile.AeadAes128Gcm,
                Convert.FromHexString("000102030405060708090a0b0c0d0e0f"), Convert.FromHexString("517569642070726f2071756f"), [],
                Convert.FromHexString("000102030405060708090a0b0c0d0e0f"), Convert.FromHexString("517569642070726f2071756f"), []);
            byte[] plain = Convert.FromHexString("8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573");
            byte[] buffer = new byte[plain.Length + SrtpContext.MaxOverhead];
            plain.CopyTo(buffer, 0);
            Assert.True(context.TryProtectRtp(buffer, plain.Length, out int length, out var error), error.ToString());
            Assert.Equal("8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf" +
                         "8833899d7f27beb16a9152cf765ee4390cce", Convert.ToHexString(buffer, 0, length).ToLowerInvariant());
        }
        finally
        {
            AppContext.SetSwitch(GcmCipher.UseLibCryptoSwitch, false);
        }
        Assert.Equal(AesNiGcm.IsSupported ? "aes-ni" : "libcrypto", GcmCipher.Implementation);
    }
}
