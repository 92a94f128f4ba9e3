namespace EdgeVoice.Relay.Tests.Support;

/// <summary>
/// How the tests start EdgeVoice's published relay: a YAML file in the relay's schema (configs/relay.yaml),
/// with the free ports the fixture chose.
/// </summary>
internal static class EdgeVoiceRelayLaunch
{
    /// <summary>The page origin the cross-origin test serves its page from is allowed by CORS.</summary>
    public static string ConfigYaml(RelayEndpoints endpoints, IEnumerable<string>? allowedOrigins = null) => $"""
        # Written by the end-to-end test fixture.
        http:
          listen_urls: [ "http://{endpoints.Http}" ]
        media:
          listen_address: {endpoints.Udp.Address}
          udp_port: {endpoints.Udp.Port}
          public_ip: {endpoints.Udp.Address}
          public_port: {endpoints.Udp.Port}
        auth:
          api_keys:
            - id: test
              key: {endpoints.Key}
          token_secret: ZTJlLXRlc3QtdG9rZW4tc2VjcmV0LWZvci1lZGdldm9pY2UtMDAwMDAwMDA=
        ice:
          ufrag_secret: ZTJlLXRlc3QtdWZyYWctc2VjcmV0LWZvci1lZGdldm9pY2UtMDAwMDAwMDA=
        cors:
          allowed_origins: [ "*" ]
        logging:
          level: information
        demo:
          page: {Path.Combine(RepoPaths.Root, "web", "demo", "index.html")}
        """;

    public static IReadOnlyList<string> Arguments(string configPath, RelayEndpoints endpoints) => ["--config", configPath];
}
