using System.Collections;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using EdgeVoice.Relay.Configuration;
using EdgeVoice.Relay.Signaling;

namespace EdgeVoice.Relay.Tests.Relay;

/// <summary>A relay started inside the test process on free loopback ports, from a YAML file written for the test.</summary>
public sealed class InProcessRelay : IAsyncDisposable
{
    public const string ApiKey = "test-api-key-0123456789abcdef";
    public const string TokenSecretBase64 = "dGVzdC10b2tlbi1zZWNyZXQtZm9yLWVkZ2V2b2ljZS10ZXN0cy0wMDAwMDA=";
    public const string UfragSecretBase64 = "dGVzdC11ZnJhZy1zZWNyZXQtZm9yLWVkZ2V2b2ljZS10ZXN0cy0wMDAwMDA=";
    public const string AllowedOrigin = "http://127.0.0.1:9";

    private readonly string _directory;
    private readonly HttpClient _http;
    private bool _stopped;

    private InProcessRelay(RelayServer server, string directory, HttpClient http)
    {
        Server = server;
        _directory = directory;
        _http = http;
    }

    public RelayServer Server { get; }
    public Uri Http => Server.HttpAddress;
    public HttpClient Client => _http;

    /// <param name="http">Lines of the <c>http:</c> section (indented), replacing the default plain-HTTP listener.</param>
    /// <param name="adjust">Changes the loaded options, for settings the YAML validation keeps out of test range (e.g. a 2 s consent timeout).</param>
    /// <param name="client">The HttpClient the helpers use (e.g. one trusting a test certificate).</param>
    public static async Task<InProcessRelay> StartAsync(string extraYaml = "", int maxSessions = 100, string consentTimeout = "30s",
        string? http = null, Func<RelayOptions, RelayOptions>? adjust = null, HttpClient? client = null)
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-relay-").FullName;
        int udpPort = FreePort.Udp();
        http ??= """  listen_urls: [ "http://127.0.0.1:0" ]""";
        string yaml = $$"""
            http:
            {{http}}
            media:
              listen_address: 127.0.0.1
              udp_port: {{udpPort}}
              public_ip: 127.0.0.1
              public_port: {{udpPort}}
            auth:
              api_keys:
                - id: test
                  key: {{ApiKey}}
              token_secret: {{TokenSecretBase64}}
            ice:
              ufrag_secret: {{UfragSecretBase64}}
              consent_timeout: {{consentTimeout}}
              connect_timeout: 10s
            cors:
              allowed_origins: [ "{{AllowedOrigin}}" ]
            limits:
              max_sessions: {{maxSessions}}
            logging:
              level: warning
            {{extraYaml}}
            """;
        string path = Path.Combine(directory, "relay.yaml");
        await File.WriteAllTextAsync(path, yaml);
        var options = RelayOptionsLoader.Load(path, [], new Hashtable());
        if (adjust is not null)
            options = adjust(options);
        var server = RelayServer.Create(options);
        await server.App.StartAsync();
        return new InProcessRelay(server, directory, client ?? SharedClient);
    }

    private static readonly HttpClient SharedClient = new() { Timeout = TimeSpan.FromSeconds(10) };


    /// <summary>POST /v1/calls with any body, credential, origin and content type (null leaves the header out).</summary>
    public async Task<HttpResponseMessage> PostOfferAsync(string offer, string? bearer = ApiKey, string? origin = null,
        string? contentType = "application/sdp")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Http, "/v1/calls")) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(offer)) };
        if (contentType is not null)
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        Authorize(request, bearer, origin);
        return await _http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> DeleteAsync(string location, string? bearer = ApiKey, string? origin = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(Http, location));
        Authorize(request, bearer, origin);
        return await _http.SendAsync(request);
    }

    /// <summary>POST /v1/tokens with a JSON body (null sends none).</summary>
    public async Task<HttpResponseMessage> RequestTokenAsync(string? json, string? bearer = ApiKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Http, "/v1/tokens"));
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        Authorize(request, bearer, null);
        return await _http.SendAsync(request);
    }

    public async Task<RelayStats> StatsAsync()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Http, "/v1/stats"));
        Authorize(request, ApiKey, null);
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        string json = await response.Content.ReadAsStringAsync();
        return System.Text.Json.JsonSerializer.Deserialize(json, SignalingJson.Default.RelayStats)!;
    }

    /// <summary>Polls until <paramref name="condition"/> holds (true) or <paramref name="timeout"/> passes (false).</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
                return condition();
            await Task.Delay(20);
        }
        return true;
    }

    /// <summary>Stops the relay the way SIGTERM does (every call gets BYE and close_notify); disposing later is still fine.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
            return;
        _stopped = true;
        await Server.App.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static void Authorize(HttpRequestMessage request, string? bearer, string? origin)
    {
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (origin is not null)
            request.Headers.Add("Origin", origin);
    }
}
