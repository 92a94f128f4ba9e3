using System.Collections;
using System.Net;
using EdgeVoice.Relay.Configuration;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Relay.Tests.Configuration;

public sealed class RelayOptionsLoaderTests : IDisposable
{
    private static readonly string TokenSecret = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
    private static readonly string UfragSecret = Convert.ToBase64String(Enumerable.Range(100, 40).Select(i => (byte)i).ToArray());

    // Line numbers matter: the tests below name them.
    private static readonly string ValidYaml = $"""
        http:
          listen_urls:
            - http://127.0.0.1:8080
        media:
          listen_address: 0.0.0.0
          udp_port: 3478
          public_ip: 203.0.113.10
          public_port: 3479
        auth:
          api_keys:
            - id: demo
              key: test-api-key-0123456789
            - id: backend
              key: test-api-key-abcdefghij
          token_secret: {TokenSecret}
          token_lifetime: 2m
          max_token_lifetime: 30m
        ice:
          ufrag_secret: {UfragSecret}
          consent_timeout: 20s
          connect_timeout: 5s
        cors:
          allowed_origins:
            - https://App.example.com/
        limits:
          max_sessions: 50
          max_handshakes_in_flight: 8
          max_offer_bytes: 20000
        logging:
          level: debug

        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("edgevoice-config-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string yaml, string name = "relay.yaml")
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static RelayOptions Load(string path, string[]? args = null, Hashtable? env = null) =>
        RelayOptionsLoader.Load(path, args ?? [], env ?? new Hashtable());

    private string Fails(string yaml, string[]? args = null, Hashtable? env = null)
    {
        string path = Write(yaml);
        var e = Assert.Throws<RelayConfigurationException>(() => Load(path, args, env));
        Assert.NotEmpty(e.Errors);
        return e.Message;
    }

    private static string Edit(string find, string replace)
    {
        Assert.Contains(find, ValidYaml);
        return ValidYaml.Replace(find, replace);
    }

    [Fact]
    public void ValidFileLoadsEverySetting()
    {
        string path = Write(ValidYaml);
        var options = Load(path);
        Assert.Equal(path, options.ConfigPath);
        Assert.Equal(["http://127.0.0.1:8080"], options.Http.ListenUrls);
        Assert.Null(options.Http.CertificatePath);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 3478), options.Media.ListenEndPoint);
        Assert.Equal(IPAddress.Parse("203.0.113.10"), options.Media.PublicIp);
        Assert.Equal(3479, options.Media.PublicPort);
        Assert.Equal([new ApiKey("demo", "test-api-key-0123456789"), new ApiKey("backend", "test-api-key-abcdefghij")], options.Auth.ApiKeys);
        Assert.Equal(Convert.FromBase64String(TokenSecret), options.Auth.TokenSecret);
        Assert.Equal(TimeSpan.FromMinutes(2), options.Auth.TokenLifetime);
        Assert.Equal(TimeSpan.FromMinutes(30), options.Auth.MaxTokenLifetime);
        Assert.Equal(Convert.FromBase64String(UfragSecret), options.Ice.UfragSecret);
        Assert.False(options.Ice.UfragSecretGenerated);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Ice.ConsentTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Ice.ConnectTimeout);
        Assert.Equal(["https://app.example.com"], options.Cors.AllowedOrigins);
        Assert.False(options.Cors.AllowsAnyOrigin);
        Assert.Equal(new LimitsOptions(50, 8, 20000), options.Limits);
        Assert.Equal(new DtlsOptions(null, null), options.Dtls);
        Assert.Equal(LogLevel.Debug, options.Logging.Level);
    }

    [Fact]
    public void OmittedOptionalSettingsTakeDefaults()
    {
        string path = Write($"""
            media:
              public_ip: 127.0.0.1
            auth:
              api_keys:
                - id: demo
                  key: test-api-key-0123456789
              token_secret: {TokenSecret}
            """);
        var options = Load(path);
        Assert.Equal(["http://127.0.0.1:8080"], options.Http.ListenUrls);
        Assert.Equal(3478, options.Media.UdpPort);
        Assert.Equal(3478, options.Media.PublicPort);
        Assert.Equal(TimeSpan.FromMilliseconds(20), options.Media.BatchWindow); // one Opus frame per wake-up
        Assert.Equal(TimeSpan.FromMinutes(5), options.Auth.TokenLifetime);
        Assert.Equal(TimeSpan.FromHours(1), options.Auth.MaxTokenLifetime);
        Assert.True(options.Ice.UfragSecretGenerated);
        Assert.Equal(32, options.Ice.UfragSecret.Length);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Ice.ConsentTimeout);
        Assert.Empty(options.Cors.AllowedOrigins);
        Assert.Equal(new LimitsOptions(1000, 64, 16384), options.Limits);
        Assert.Equal(LogLevel.Information, options.Logging.Level);
    }

    [Fact]
    public void ShippedDemoConfigLoads()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "configs", "relay.yaml")))
            directory = Path.GetDirectoryName(directory);
        Assert.NotNull(directory);
        var options = Load(Path.Combine(directory, "configs", "relay.yaml"));
        Assert.Equal(IPAddress.Loopback, options.Media.ListenAddress);
        Assert.Equal(IPAddress.Loopback, options.Media.PublicIp);
        Assert.Equal(3478, options.Media.UdpPort);
        Assert.Equal(["http://127.0.0.1:8080"], options.Http.ListenUrls);
        Assert.Equal("demo", Assert.Single(options.Auth.ApiKeys).Id);
        Assert.True(options.Auth.TokenSecret.Length >= 32);
        Assert.False(options.Ice.UfragSecretGenerated);
        Assert.Equal(new DtlsOptions(null, null), options.Dtls);
    }

    public static TheoryData<string, string, string> InvalidValues() => new()
    {
        { "udp_port: 3478", "udp_port: 70000", ":6: media.udp_port: '70000' is not a port (1-65535)" },
        { "udp_port: 3478", "udp_port: 0", ":6: media.udp_port: '0' is not a port (1-65535)" },
        { "udp_port: 3478", "udp_port: abc", ":6: media.udp_port: 'abc' is not a port (1-65535)" },
        { "public_port: 3479", "public_port: -1", ":8: media.public_port: '-1' is not a port (1-65535)" },
        { "public_ip: 203.0.113.10", "public_ip: 203.0.113.300", ":7: media.public_ip: '203.0.113.300' is not an IP address" },
        { "public_ip: 203.0.113.10", "public_ip: 127.1", ":7: media.public_ip: '127.1' is not an IP address" },
        { "public_ip: 203.0.113.10", "public_ip: relay.example.com", ":7: media.public_ip: 'relay.example.com' is not an IP address" },
        { "public_ip: 203.0.113.10", "public_ip: 0.0.0.0", ":7: media.public_ip: 0.0.0.0 cannot be advertised to clients" },
        { "public_ip: 203.0.113.10", "public_ip: 239.1.2.3", ":7: media.public_ip: 239.1.2.3 cannot be advertised to clients" },
        { "  public_ip: 203.0.113.10\n", "", ": media.public_ip: missing: with media.listen_address 0.0.0.0" },
        { "listen_address: 0.0.0.0", "listen_address: localhost", ":5: media.listen_address: 'localhost' is not an IP address" },
        { "- http://127.0.0.1:8080", "- ftp://127.0.0.1:8080", ":3: http.listen_urls[0]: 'ftp://127.0.0.1:8080' is not a listen URL" },
        { "- http://127.0.0.1:8080", "- http://127.0.0.1:8080/calls", ":3: http.listen_urls[0]: 'http://127.0.0.1:8080/calls' is not a listen URL" },
        { "- http://127.0.0.1:8080", "- https://127.0.0.1:8443", ": http.certificate_path: missing: an https listen URL needs both" },
        { "token_secret: " + TokenSecret, "token_secret: c2hvcnQ=", ":15: auth.token_secret: decodes to 5 bytes; at least 32 are needed" },
        { "token_secret: " + TokenSecret, "token_secret: not*base64*at*all", ":15: auth.token_secret: is not valid base64 (the value is not shown)" },
        { "  token_secret: " + TokenSecret + "\n", "", ": auth.token_secret: missing: set a base64 secret of at least 32 bytes" },
        { "ufrag_secret: " + UfragSecret, "ufrag_secret: c2hvcnQ=", ":19: ice.ufrag_secret: decodes to 5 bytes" },
        { "token_lifetime: 2m", "token_lifetime: 2 minutes", ":16: auth.token_lifetime: '2 minutes' is not a duration; write a number and a unit: 500ms, 30s, 5m, 1h" },
        { "token_lifetime: 2m", "token_lifetime: 120", ":16: auth.token_lifetime: '120' is not a duration" },
        { "token_lifetime: 2m", "token_lifetime: 45m", ":16: auth.token_lifetime: 45m is longer than auth.max_token_lifetime (30m)" },
        { "consent_timeout: 20s", "consent_timeout: 1s", ":20: ice.consent_timeout: '1s' is outside 5s-5m" },
        { "key: test-api-key-0123456789", "key: short", ":12: auth.api_keys[0].key: must be 16-256 visible ASCII characters" },
        { "- id: backend", "- id: demo", ":13: auth.api_keys[1].id: id 'demo' is used by two API keys" },
        { "- id: backend", "- id: back end", ":13: auth.api_keys[1].id: 'back end' is not 1-64 letters" },
        { "    - id: backend\n      key: test-api-key-abcdefghij\n", "    - test-api-key-abcdefghij\n", ":13: auth.api_keys[1]: each API key is a mapping with id: and key: lines" },
        { "- https://App.example.com/", "- https://app.example.com/path", ":24: cors.allowed_origins[0]: 'https://app.example.com/path' is not an origin" },
        { "max_sessions: 50", "max_sessions: 0", ":26: limits.max_sessions: '0' is not a whole number in 1-1000000" },
        { "max_offer_bytes: 20000", "max_offer_bytes: 100000", ":28: limits.max_offer_bytes: '100000' is not a whole number in 1024-65536" },
        { "level: debug", "level: verbose", ":30: logging.level: 'verbose' is not a log level" },
        { "udp_port: 3478", "udp_port: [3478, 3479]", ":6: media.udp_port: expected a single value, found a list" },
        { "udp_port: 3478", "udp_port:\n    - 3478", ":6: media.udp_port: expected a single value, found a list" },
        { "public_ip: 203.0.113.10", "public_ip:\n    v4: 203.0.113.10", ":7: media.public_ip: expected a single value, found a mapping" },
        { "listen_urls:\n    - http://127.0.0.1:8080", "listen_urls: http://127.0.0.1:8080", ":2: http.listen_urls: expected a list (lines starting with '- '), found a single value" },
        { "udp_port: 3478", "udp_prot: 3478", ":6: media.udp_prot: unknown setting; did you mean media.udp_port?" },
        { "logging:", "loging:", ":30: loging.level: unknown setting; did you mean logging.level?" },
        { "level: debug", "level: debug\ntracing:\n  enabled: true", ":32: tracing.enabled: unknown setting; known sections:" },
        { "level: debug", "level: debug\nmetrics:\n  enabled: true", ":32: metrics.enabled: unknown setting; known settings: metrics.access" },
        { "level: debug", "level: debug\nmetrics:\n  access: public", ":32: metrics.access: 'public' is not a metrics access (api_key" },
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void InvalidValueNamesFileLineAndField(string find, string replace, string expected)
    {
        string message = Fails(Edit(find, replace));
        string path = Path.Combine(_directory, "relay.yaml");
        Assert.Contains(path + expected, message);
        Assert.DoesNotContain(TokenSecret, message);
    }

    [Fact]
    public void MissingApiKeysIsAnError()
    {
        string yaml = Edit("""
              api_keys:
                - id: demo
                  key: test-api-key-0123456789
                - id: backend
                  key: test-api-key-abcdefghij

            """.Replace("\n", "\n").TrimEnd(' ').Replace("\r", ""), "");
        string message = Fails(yaml);
        Assert.Contains(Path.Combine(_directory, "relay.yaml") + ": auth.api_keys: missing: list at least one API key", message);
    }

    [Fact]
    public void EmptyApiKeyListIsAnError()
    {
        string message = Fails(Edit("  api_keys:\n", "  api_keys: []\n  old_keys:\n"));
        Assert.Contains(":10: auth.api_keys: missing: list at least one API key", message);
    }

    [Fact]
    public void YamlSyntaxErrorGivesThePosition()
    {
        string message = Fails(Edit("  udp_port: 3478\n", "  udp_port: 3478\n bad_indent: 1\n"));
        Assert.StartsWith(Path.Combine(_directory, "relay.yaml") + ":7:2: invalid YAML: ", message);
    }

    [Fact]
    public void UnterminatedQuoteGivesThePosition()
    {
        string message = Fails(Edit("level: debug", "level: 'debug"));
        Assert.Matches(@"relay\.yaml:30:\d+: invalid YAML: .*quoted scalar", message);
    }

    [Fact]
    public void UnclosedFlowSequenceIsAnErrorNotACrash()
    {
        string message = Fails(Edit("udp_port: 3478", "udp_port: [3478"));
        Assert.Contains("relay.yaml", message);
        Assert.Contains("invalid YAML", message);
    }

    [Fact]
    public void DuplicateKeyIsAnError()
    {
        string message = Fails(Edit("  udp_port: 3478\n", "  udp_port: 3478\n  udp_port: 3479\n"));
        Assert.Contains("relay.yaml:7:", message);
        Assert.Contains("Duplicate key", message);
    }

    [Fact]
    public void RecursiveAliasIsRefused()
    {
        string message = Fails(ValidYaml + "loop: &a\n  again: *a\n");
        Assert.Contains("relay.yaml:", message);
    }

    [Fact]
    public void TopLevelListIsRefused()
    {
        string message = Fails("- a\n- b\n");
        Assert.Contains("relay.yaml:1: the top level must be a mapping", message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        string path = Path.Combine(_directory, "nowhere", "relay.yaml");
        var e = Assert.Throws<RelayConfigurationException>(() => Load(path));
        Assert.Equal($"{path}: configuration file not found (give its path with --config <path> or EDGEVOICE_RELAY_CONFIG)", e.Message);
    }

    [Fact]
    public void EveryProblemIsReportedAtOnce()
    {
        var e = Assert.Throws<RelayConfigurationException>(() =>
            Load(Write(Edit("udp_port: 3478", "udp_port: 99999").Replace("level: debug", "level: loud"))));
        Assert.Equal(2, e.Errors.Count);
        Assert.Contains(e.Errors, line => line.Contains(":6: media.udp_port:"));
        Assert.Contains(e.Errors, line => line.Contains(":30: logging.level:"));
    }

    [Fact]
    public void EnvironmentOverridesFileAndCommandLineOverridesBoth()
    {
        string path = Write(ValidYaml);
        var env = new Hashtable
        {
            ["EDGEVOICE_MEDIA__UDP_PORT"] = "4000",
            ["EDGEVOICE_MEDIA__PUBLIC_IP"] = "198.51.100.1",
            ["edgevoice_auth__api_keys__0__key"] = "env-api-key-0123456789",
            ["PATH"] = "/usr/bin",
            ["EDGEVOICE_RELAY_CONFIG"] = path,
        };
        var options = Load(path, ["--media:udp_port=5000", "--logging:level", "warning", "--config", path], env);
        Assert.Equal(5000, options.Media.UdpPort);
        Assert.Equal(IPAddress.Parse("198.51.100.1"), options.Media.PublicIp);
        Assert.Equal("env-api-key-0123456789", options.Auth.ApiKeys[0].Key);
        Assert.Equal("demo", options.Auth.ApiKeys[0].Id);
        Assert.Equal(LogLevel.Warning, options.Logging.Level);
    }

    [Fact]
    public void ErrorFromAnOverrideNamesItsSource()
    {
        string path = Write(ValidYaml);
        var env = new Hashtable { ["EDGEVOICE_MEDIA__UDP_PORT"] = "70000", ["EDGEVOICE_MEDIA__UDP_PROT"] = "1" };
        var e = Assert.Throws<RelayConfigurationException>(() => Load(path, ["--limits:max_sessions=-5"], env));
        Assert.Contains("environment variable EDGEVOICE_MEDIA__UDP_PORT: media.udp_port: '70000' is not a port (1-65535)", e.Errors);
        Assert.Contains("command line --limits:max_sessions: limits.max_sessions: '-5' is not a whole number in 1-1000000", e.Errors);
        Assert.Contains("environment variable EDGEVOICE_MEDIA__UDP_PROT: media.udp_prot: unknown setting; did you mean media.udp_port?", e.Errors);
    }

    [Fact]
    public void ArgumentThatIsNotASettingIsAConfigurationError()
    {
        string path = Write(ValidYaml);
        foreach (string[] args in new string[][] { ["-x"], ["media:udp_port=4000"], ["--media:udp_port=1", "stray"], ["--"] })
        {
            var e = Assert.Throws<RelayConfigurationException>(() => Load(path, args));
            Assert.StartsWith("command line: unexpected argument '", e.Message);
        }
    }

    [Fact]
    public void SecretFileIsReadRelativeToTheConfigFile()
    {
        File.WriteAllText(Path.Combine(_directory, "token.secret"), TokenSecret + "\n");
        var options = Load(Write(Edit("token_secret: " + TokenSecret, "token_secret_file: token.secret")));
        Assert.Equal(Convert.FromBase64String(TokenSecret), options.Auth.TokenSecret);
    }

    [Fact]
    public void SecretAndSecretFileTogetherIsAnError()
    {
        string message = Fails(Edit("token_lifetime: 2m", "token_lifetime: 2m\n  token_secret_file: token.secret"));
        Assert.Contains(":15: auth.token_secret: set either auth.token_secret or auth.token_secret_file, not both", message);
    }

    [Fact]
    public void MissingSecretFileNamesTheFile()
    {
        string message = Fails(Edit("token_secret: " + TokenSecret, "token_secret_file: missing.secret"));
        Assert.Contains(":15: auth.token_secret_file: cannot read '" + Path.Combine(_directory, "missing.secret") + "'", message);
    }

    [Fact]
    public void HttpsWithCertificateFilesLoads()
    {
        File.WriteAllText(Path.Combine(_directory, "relay.crt.pem"), "-----BEGIN CERTIFICATE-----\n");
        File.WriteAllText(Path.Combine(_directory, "relay.key.pem"), "-----BEGIN PRIVATE KEY-----\n");
        string yaml = Edit("- http://127.0.0.1:8080", "- https://[::]:8443\n    - http://*:8080\n  certificate_path: relay.crt.pem\n  key_path: relay.key.pem");
        var options = Load(Write(yaml));
        Assert.Equal(["https://[::]:8443", "http://*:8080"], options.Http.ListenUrls);
        Assert.Equal(Path.Combine(_directory, "relay.crt.pem"), options.Http.CertificatePath);
        Assert.Equal(Path.Combine(_directory, "relay.key.pem"), options.Http.KeyPath);
    }

    [Fact]
    public void DtlsCertificateWithoutKeyIsAnError()
    {
        File.WriteAllText(Path.Combine(_directory, "dtls.crt.pem"), "x");
        string message = Fails(ValidYaml + "dtls:\n  certificate_path: dtls.crt.pem\n");
        Assert.Contains(": dtls.key_path: set both dtls.certificate_path and dtls.key_path", message);
    }

    [Fact]
    public void MissingDtlsFileNamesIt()
    {
        string message = Fails(ValidYaml + "dtls:\n  certificate_path: nope.pem\n  key_path: nope.key\n");
        Assert.Contains(":32: dtls.certificate_path: file '" + Path.Combine(_directory, "nope.pem") + "' not found", message);
    }

    [Fact]
    public void EmptyFileReportsTheRequiredSettings()
    {
        var e = Assert.Throws<RelayConfigurationException>(() => Load(Write("# nothing yet\n")));
        Assert.Contains(e.Errors, line => line.Contains("media.public_ip: missing"));
        Assert.Contains(e.Errors, line => line.Contains("auth.api_keys: missing"));
        Assert.Contains(e.Errors, line => line.Contains("auth.token_secret: missing"));
    }

    [Theory]
    [InlineData(new[] { "--config", "a.yaml" }, null, "a.yaml")]
    [InlineData(new[] { "--media:udp_port=1", "--config=b.yaml" }, "env.yaml", "b.yaml")]
    [InlineData(new string[0], "env.yaml", "env.yaml")]
    [InlineData(new string[0], null, "configs/relay.yaml")]
    public void ConfigPathComesFromArgumentThenEnvironmentThenDefault(string[] args, string? variable, string expected)
    {
        var env = new Hashtable();
        if (variable is not null)
            env["EDGEVOICE_RELAY_CONFIG"] = variable;
        Assert.Equal(expected, RelayOptionsLoader.ResolvePath(args, env));
    }

    [Fact]
    public void ApiKeyMatchFindsOnlyExactKeys()
    {
        var options = Load(Write(ValidYaml));
        Assert.Equal("backend", options.Auth.Match("test-api-key-abcdefghij")?.Id);
        Assert.Null(options.Auth.Match("test-api-key-abcdefghiJ"));
        Assert.Null(options.Auth.Match(""));
        Assert.Null(options.Auth.Match(null));
        Assert.DoesNotContain("test-api-key", options.Auth.ApiKeys[0].ToString());
        Assert.DoesNotContain("test-api-key", options.Auth.ToString());
    }
}
