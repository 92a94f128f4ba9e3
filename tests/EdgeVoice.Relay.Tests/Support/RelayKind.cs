namespace EdgeVoice.Relay.Tests.Support;

/// <summary>Which relay binary an end-to-end test talks to; both serve the same HTTP API.</summary>
public enum RelayKind
{
    /// <summary>The pion/webrtc baseline from ../shared/baselines, built into out/baselines.</summary>
    Pion,

    /// <summary>EdgeVoice's Native-AOT relay published to artifacts/relay.</summary>
    EdgeVoice,
}

internal static class RelayKinds
{
    public const string EnvironmentVariable = "EDGEVOICE_TEST_RELAY";

    /// <summary>The kind named by EDGEVOICE_TEST_RELAY (pion|edgevoice); EdgeVoice's when unset.</summary>
    public static RelayKind Selected { get; } = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));

    private static RelayKind Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "pion" => RelayKind.Pion,
        null or "" or "edgevoice" => RelayKind.EdgeVoice,
        _ => throw new InvalidOperationException($"{EnvironmentVariable}='{value}': use 'pion' or 'edgevoice'."),
    };
}

/// <summary>A fact that runs only when EDGEVOICE_TEST_RELAY selects EdgeVoice's relay, and is reported skipped otherwise.</summary>
public sealed class EdgeVoiceRelayFactAttribute : FactAttribute
{
    public EdgeVoiceRelayFactAttribute()
    {
        if (RelayKinds.Selected != RelayKind.EdgeVoice)
        {
            Skip = $"needs a feature only EdgeVoice's relay has; {RelayKinds.EnvironmentVariable} selects {RelayKinds.Selected}";
        }
    }
}
