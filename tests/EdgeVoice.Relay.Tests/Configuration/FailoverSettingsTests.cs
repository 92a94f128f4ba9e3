using System.Collections;
using EdgeVoice.Relay.Configuration;

namespace EdgeVoice.Relay.Tests.Configuration;

/// <summary>The liveness settings of relay.yaml's <c>transceivers:</c> section: how fast a dead transceiver is noticed.</summary>
public sealed class FailoverSettingsTests : IDisposable
{
    private static readonly string Secret = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    // transceivers: is line 10; the settings below are lines 15 and 16.
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
          ping_interval: 100ms
          dead_after: 2s
          pool:
            - name: gpu-1
              address: 10.0.1.11:4433

        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("edgevoice-failover-").FullName;

    public FailoverSettingsTests()
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
    public void Settings_are_read()
    {
        var t = Load(Base).Transceivers!;
        Assert.Equal(TimeSpan.FromMilliseconds(100), t.PingInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), t.DeadAfter);
    }

    [Fact]
    public void Defaults_notice_a_dead_transceiver_within_a_second()
    {
        var t = Load(Base.Replace("  ping_interval: 100ms\n", "").Replace("  dead_after: 2s\n", "")).Transceivers!;
        Assert.Equal(TimeSpan.FromMilliseconds(250), t.PingInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(900), t.DeadAfter);
        Assert.True(t.DeadAfter < TimeSpan.FromSeconds(1));
    }

    public static TheoryData<string, string, string> Invalid => new()
    {
        { "ping_interval: 100ms", "ping_interval: fast", ":15: transceivers.ping_interval: 'fast' is not a duration" },
        { "ping_interval: 100ms", "ping_interval: 5ms", ":15: transceivers.ping_interval: '5ms' is outside" },
        { "dead_after: 2s", "dead_after: 50ms", ":16: transceivers.dead_after: '50ms' is outside" },
        { "dead_after: 2s", "dead_after: 150ms", ":16: transceivers.dead_after: 0.15s is less than twice transceivers.ping_interval (0.1s)" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_setting_names_file_line_and_field(string find, string replace, string expected)
    {
        Assert.Contains(find, Base);
        var error = Assert.Throws<RelayConfigurationException>(() => Load(Base.Replace(find, replace)));
        Assert.True(error.Message.Contains(Path.Combine(_directory, "relay.yaml") + expected), error.Message);
    }
}
