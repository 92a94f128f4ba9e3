namespace EdgeVoice.Transceiver.Configuration;

/// <summary>Finds the configuration: an explicit path, then $EDGEVOICE_TRANSCEIVER_CONFIG, then ./configs/transceiver.yaml, then the built-in defaults.</summary>
public static class ConfigLocator
{
    public const string EnvironmentVariable = "EDGEVOICE_TRANSCEIVER_CONFIG";

    public static TransceiverConfig Load(string? explicitPath)
    {
        string? path = explicitPath ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (path is not null) return TransceiverConfig.Load(path);
        const string local = "configs/transceiver.yaml";
        return File.Exists(local) ? TransceiverConfig.Load(local) : TransceiverConfig.Defaults;
    }
}
