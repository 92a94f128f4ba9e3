using EdgeVoice.WebRtc.Dtls;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Tests.Dtls;

public class DtlsSrtpProfilesTests
{
    [Theory]
    [InlineData(new[] { 0x0001, 0x0007 }, 0x0007)]
    [InlineData(new[] { 0x0007 }, 0x0007)]
    [InlineData(new[] { 0x0005, 0x0006, 0x0001 }, 0x0001)]
    [InlineData(new[] { 0x0002, 0x0001, 0x0008 }, 0x0001)]
    public void ServerPreferenceWinsAndNullCiphersNever(int[] offered, int expected)
    {
        Assert.True(DtlsSrtpProfiles.TrySelect(DtlsSrtpProfiles.Default, offered, out SrtpProfile selected));
        Assert.Equal((SrtpProfile)expected, selected);
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 0x0005, 0x0006 })]
    [InlineData(new[] { 0x0002, 0x0008 })]
    public void NothingInCommonSelectsNothing(int[] offered)
    {
        Assert.False(DtlsSrtpProfiles.TrySelect(DtlsSrtpProfiles.Default, offered, out _));
    }

    [Fact]
    public void AConfiguredCmOnlyListNeverPicksGcm()
    {
        Assert.True(DtlsSrtpProfiles.TrySelect([SrtpProfile.Aes128CmHmacSha1_80], [0x0007, 0x0001], out SrtpProfile selected));
        Assert.Equal(SrtpProfile.Aes128CmHmacSha1_80, selected);
    }
}
