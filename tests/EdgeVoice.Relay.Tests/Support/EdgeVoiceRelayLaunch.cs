namespace EdgeVoice.Relay.Tests.Support;

/// <summary>
/// How the tests start EdgeVoice's published relay: the YAML the fixture writes and the command
/// line. Kept in this one place so it follows the relay's configuration schema as that settles.
/// </summary>
internal static class EdgeVoiceRelayLaunch
{
    public static string ConfigYaml(RelayEndpoints endpoints) => $"""
        # Written by the end-to-end test fixture; the CLI overrides below take precedence.
        http:
          listen: "{endpoints.Http}"
        media:
          udp_listen: "{endpoints.Udp}"
        auth:
          api_keys:
            - "{endpoints.Key}"
        """;

    public static IReadOnlyList<string> Arguments(string configPath, RelayEndpoints endpoints) =>
    [
        "--config", configPath,
        "--http", endpoints.Http.ToString(),
        "--udp", endpoints.Udp.ToString(),
        "--key", endpoints.Key,
    ];
}
