using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace EdgeVoice.Transceiver.Configuration;

/// <summary>
/// Typed, validating reads from one YAML mapping (YamlDotNet's representation model, no reflection):
/// every error names file, line and dotted field, and keys nobody read are reported as unknown.
/// </summary>
internal sealed class YamlSection
{
    private readonly YamlMappingNode? _node;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly List<YamlSection> _children = new();

    public YamlSection(string file, string path, YamlMappingNode? node, int line)
    {
        File = file;
        Path = path;
        _node = node;
        Line = line;
    }

    public string File { get; }
    public string Path { get; }
    public int Line { get; }

    private string Field(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public ConfigurationException Error(string key, string message) => new(File, LineOf(key), Field(key), message);

    public int LineOf(string key) => Find(key) is { } n ? (int)n.Start.Line : Line;

    private YamlNode? Find(string key)
    {
        _read.Add(key);
        if (_node is null) return null;
        foreach (var (k, v) in _node.Children)
            if (k is YamlScalarNode s && s.Value == key) return v;
        return null;
    }

    /// <summary>Marks a section another parser reads (e.g. <c>tunnel:</c>, read by EdgeVoice.Tunnel's TunnelConfig) as known.</summary>
    public bool ReadElsewhere(string key) => Find(key) is not null;

    public YamlSection Section(string key)
    {
        var node = Find(key);
        if (node is not null and not YamlMappingNode && !(node is YamlScalarNode { Value: null or "" or "~" or "null" }))
            throw Error(key, "expected a mapping (indented key: value lines)");
        var child = new YamlSection(File, Field(key), node as YamlMappingNode, node is null ? Line : (int)node.Start.Line);
        _children.Add(child);
        return child;
    }

    public string? String(string key, string? fallback)
    {
        var node = Find(key);
        if (node is null) return fallback;
        if (node is not YamlScalarNode scalar) throw Error(key, "expected a single value");
        if (scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "~" or "null") return null;
        return scalar.Value;
    }

    public string Required(string key, string fallback) => String(key, fallback) ?? throw Error(key, "must not be empty");

    public string Choice(string key, string fallback, params string[] allowed)
    {
        string value = Required(key, fallback);
        if (!allowed.Contains(value, StringComparer.Ordinal))
            throw Error(key, $"'{value}' is not one of: {string.Join(", ", allowed)}");
        return value;
    }

    public int Int(string key, int fallback, int min, int max)
    {
        string? text = String(key, null);
        if (text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)) throw Error(key, $"'{text}' is not a whole number");
        if (value < min || value > max) throw Error(key, $"{value} is outside {min}..{max}");
        return value;
    }

    public double Double(string key, double fallback, double min, double max)
    {
        string? text = String(key, null);
        if (text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) throw Error(key, $"'{text}' is not a number");
        if (value < min || value > max) throw Error(key, $"{value} is outside {min}..{max}");
        return value;
    }

    public bool Bool(string key, bool fallback)
    {
        string? text = String(key, null);
        return text switch
        {
            null => fallback,
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw Error(key, $"'{text}' is not true or false"),
        };
    }

    /// <summary>A file path; relative paths are relative to the configuration file, <c>~</c> is the home directory.</summary>
    public string? PathValue(string key, string? fallback)
    {
        string? value = String(key, fallback);
        if (string.IsNullOrEmpty(value)) return null;
        if (value.StartsWith("~/", StringComparison.Ordinal))
            value = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), value[2..]);
        if (System.IO.Path.IsPathRooted(value)) return value;
        string baseDir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(File)) ?? ".";
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, value));
    }

    /// <summary>Rejects keys that were never read: a misspelt setting must not be silently ignored.</summary>
    public void RejectUnknown()
    {
        if (_node is not null)
            foreach (var (k, _) in _node.Children)
                if (k is YamlScalarNode s && s.Value is { } key && !_read.Contains(key))
                    throw new ConfigurationException(File, (int)k.Start.Line, Field(key), "unknown setting (check the spelling against configs/transceiver.yaml)");
        foreach (var child in _children) child.RejectUnknown();
    }
}
