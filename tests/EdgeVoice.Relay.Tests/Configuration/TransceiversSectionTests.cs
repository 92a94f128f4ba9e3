using System.Collections;
using System.Net;
using EdgeVoice.Relay.Configuration;

namespace EdgeVoice.Relay.Tests.Configuration;

/// <summary>The <c>transceivers:</c> section of relay.yaml: the relay's tunnel identity and the pool it places calls on.</summary>
public sealed class TransceiversSectionTests : IDisposable
{
    private static readonly string Secret = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    // Line numbers matter: the tests below name them (transceivers: is line 10).
    private static readonly string Base = $"""
        media:
          listen_address: 127.0.0.1
        auth:
          api_keys:
            - id: demo
              key: test-api-key-0123456789
          token_secret: {Secret}
        logging:
          level: warning
        transceivers:
          name: relay-1
          certificate: relay-1.crt
          key: relay-1.key
          ca: ca.crt
          pool:
            - name: gpu-1
              address: 10.0.1.11:4433
            - name: gpu-2
              address: "[fd00::5]:4433"

        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("edgevoice-transceivers-").FullName;

    public TransceiversSectionTests()
    {
        foreach (string file in new[] { "relay-1.crt", "relay-1.key", "ca.crt" })
            File.WriteAllText(Path.Combine(_directory, file), "PEM");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private RelayOptions Load(string yaml)
    {
        string path = Path.Combine(_directory, "relay.yaml");
        File.WriteAllText(path, yaml);
        return RelayOptionsLoader.Load(path, [], new Hashtable());
    }

    [Fact]
    public void AbsentSectionMeansEcho()
    {
        int at = Base.IndexOf("transceivers:", StringComparison.Ordinal);
        Assert.Null(Load(Base[..at]).Transceivers);
    }

    [Fact]
    public void ValidSectionGivesIdentityAndPool()
    {
        var t = Load(Base).Transceivers!;
        Assert.Equal("relay-1", t.NodeName);
        Assert.Equal(Path.Combine(_directory, "relay-1.crt"), t.CertificatePath);
        Assert.Equal(Path.Combine(_directory, "ca.crt"), t.CaPath);
        Assert.Equal([new TransceiverAddress("gpu-1", IPEndPoint.Parse("10.0.1.11:4433")), new TransceiverAddress("gpu-2", IPEndPoint.Parse("[fd00::5]:4433"))], t.Pool);
    }

    public static TheoryData<string, string, string> Invalid => new()
    {
        { "  name: relay-1\n", "", ": transceivers.name: missing: this relay's node name" },
        { "name: relay-1", "name: Relay_1", ":11: transceivers.name: 'Relay_1' is not a node name" },
        { "ca: ca.crt", "ca: nowhere.crt", ":14: transceivers.ca: file '" },
        { "  key: relay-1.key\n", "", ": transceivers.key: missing: the tunnel needs this relay's certificate" },
        { "address: 10.0.1.11:4433", "address: 10.0.1.11", ":17: transceivers.pool[0].address: '10.0.1.11' is not IP:port" },
        { "address: 10.0.1.11:4433", "address: gpu-1.example:4433", ":17: transceivers.pool[0].address: 'gpu-1.example:4433' is not IP:port" },
        { "- name: gpu-2", "- name: gpu-1", ":18: transceivers.pool[1].name: transceiver 'gpu-1' is listed twice" },
        { "    - name: gpu-1\n      address: 10.0.1.11:4433\n", "    - gpu-1\n", ":16: transceivers.pool[0]: each transceiver is a mapping with name: and address: lines" },
        { "  pool:\n", "  pools:\n", ": transceivers.pool: missing: list the transceivers" },
        { "ca: ca.crt", "ca: ca.crt\n  region: eu", ":15: transceivers.region: unknown setting" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidSettingNamesFileLineAndField(string find, string replace, string expected)
    {
        Assert.Contains(find, Base);
        var error = Assert.Throws<RelayConfigurationException>(() => Load(Base.Replace(find, replace)));
        Assert.True(error.Message.Contains(Path.Combine(_directory, "relay.yaml") + expected), error.Message);
    }
}
