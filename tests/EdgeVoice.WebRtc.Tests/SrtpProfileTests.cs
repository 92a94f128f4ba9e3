using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Tests;

public class SrtpProfileTests
{
    [Fact]
    public void ExporterOutputIsSplitClientKeyServerKeyClientSaltServerSalt()
    {
        byte[] material = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();
        var keys = SrtpKeyingMaterial.FromExporter(SrtpProfile.Aes128CmHmacSha1_80, material);
        Assert.Equal(material[..16], keys.ClientKey);
        Assert.Equal(material[16..32], keys.ServerKey);
        Assert.Equal(material[32..46], keys.ClientSalt);
        Assert.Equal(material[46..60], keys.ServerSalt);
    }
}
