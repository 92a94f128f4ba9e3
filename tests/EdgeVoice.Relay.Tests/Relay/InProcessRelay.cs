using System.Collections;
using System.Net;
using System.Net.Sockets;
using EdgeVoice.Relay.Configuration;

namespace EdgeVoice.Relay.Tests.Relay;

/// <summary>A relay started inside the test process on free loopback ports, from a YAML file written for the test.</summary>
public sealed class InProcessRelay : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-0123456789abcdef";

    private readonly string _directory;

    private InProcessRelay(RelayServer server, string directory)
    {
        Server = server;
        _directory = directory;
    }

    public RelayServer Server { get; }
    public Uri Http => Server.HttpAddress;

    public static async Task<InProcessRelay> StartAsync(string extraYaml = "", int maxSessions = 100, string consentTimeout = "30s")
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-relay-").FullName;
        int udpPort = FreeUdpPort();
        string yaml = $$"""
            http:
              listen_urls: [ "http://127.0.0.1:0" ]
            media:
              listen_address: 127.0.0.1
              udp_port: {{udpPort}}
              public_ip: 127.0.0.1
              public_port: {{udpPort}}
            auth:
              api_keys:
                - id: test
                  key: {{ApiKey}}
              token_secret: dGVzdC10b2tlbi1zZWNyZXQtZm9yLWVkZ2V2b2ljZS10ZXN0cy0wMDAwMDA=
            ice:
              ufrag_secret: dGVzdC11ZnJhZy1zZWNyZXQtZm9yLWVkZ2V2b2ljZS10ZXN0cy0wMDAwMDA=
              consent_timeout: {{consentTimeout}}
              connect_timeout: 10s
            cors:
              allowed_origins: [ "http://127.0.0.1:9" ]
            limits:
              max_sessions: {{maxSessions}}
            logging:
              level: warning
            {{extraYaml}}
            """;
        string path = Path.Combine(directory, "relay.yaml");
        await File.WriteAllTextAsync(path, yaml);
        var options = RelayOptionsLoader.Load(path, [], new Hashtable());
        var server = RelayServer.Create(options);
        await server.App.StartAsync();
        return new InProcessRelay(server, directory);
    }

    public static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.App.StopAsync();
        await Server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
