namespace EdgeVoice.Transceiver.Configuration;

/// <summary>A configuration mistake, naming the file, line and field, and what to do.</summary>
public sealed class ConfigurationException(string file, int line, string field, string message)
    : Exception(line > 0 ? $"{file}:{line}: {field}: {message}" : $"{file}: {field}: {message}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Field { get; } = field;
}
