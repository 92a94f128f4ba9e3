using Microsoft.Extensions.Configuration;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EdgeVoice.Relay.Configuration;

/// <summary>A YAML file as a configuration source, read with YamlDotNet's representation model (no reflection, AOT-safe).</summary>
public sealed class YamlConfigurationSource(string path) : IConfigurationSource
{
    public string Path { get; } = path;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new YamlConfigurationProvider(Path);
}

/// <summary>What a flattened key was in the YAML file.</summary>
public enum YamlNodeShape
{
    Scalar,
    Mapping,
    Sequence,
}

/// <summary>
/// Flattens a YAML mapping to configuration keys (<c>media:udp_port</c>, <c>auth:api_keys:0:id</c>) and remembers each key's
/// line and shape, so that errors can name <c>file:line</c>. Problems in the file throw <see cref="RelayConfigurationException"/>.
/// </summary>
public sealed class YamlConfigurationProvider(string path) : ConfigurationProvider
{
    public const long MaxFileBytes = 1024 * 1024;
    private const int MaxDepth = 32;
    private const int MaxKeys = 10_000;

    private readonly Dictionary<string, (int Line, YamlNodeShape Shape)> _nodes = new(StringComparer.OrdinalIgnoreCase);

    public string Path { get; } = path;

    /// <summary>The 1-based line of a key (of the key itself for mappings, of the item for sequence items).</summary>
    public bool TryGetLine(string key, out int line)
    {
        bool found = _nodes.TryGetValue(key, out var node);
        line = node.Line;
        return found;
    }

    public bool TryGetShape(string key, out YamlNodeShape shape)
    {
        bool found = _nodes.TryGetValue(key, out var node);
        shape = node.Shape;
        return found;
    }

    public override void Load()
    {
        Data.Clear();
        _nodes.Clear();
        string text = ReadFile();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new RelayConfigurationException($"{Path}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.Message}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet 18.1.0 throws these for some unterminated flow collections instead of a YamlException.
            throw new RelayConfigurationException($"{Path}: invalid YAML; look for an unclosed [ or {{ ({e.GetType().Name} from the YAML parser)");
        }
        if (stream.Documents.Count == 0)
            return;
        if (stream.Documents.Count > 1)
            throw new RelayConfigurationException($"{Path}:{stream.Documents[1].RootNode.Start.Line}: the file holds more than one YAML document; keep one");
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" or "~" or "null" })
            return;
        if (root is not YamlMappingNode mapping)
            throw new RelayConfigurationException($"{Path}:{root.Start.Line}: the top level must be a mapping of sections (http:, media:, auth:, ...)");
        Flatten(mapping, prefix: null, depth: 0);
    }

    private string ReadFile()
    {
        try
        {
            var info = new FileInfo(Path);
            if (!info.Exists)
                throw new RelayConfigurationException($"{Path}: configuration file not found (give its path with --config <path> or {RelayOptionsLoader.PathVariable})");
            if (info.Length > MaxFileBytes)
                throw new RelayConfigurationException($"{Path}: the configuration file is {info.Length} bytes; at most {MaxFileBytes} are read");
            return File.ReadAllText(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RelayConfigurationException($"{Path}: cannot read the configuration file: {RelayConfigurationException.Describe(e)}");
        }
    }

    private void Flatten(YamlNode node, string? prefix, int depth)
    {
        if (depth > MaxDepth)
            throw new RelayConfigurationException($"{Path}:{node.Start.Line}: nesting deeper than {MaxDepth} levels (a recursive alias?)");
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { Length: > 0 } name } || name.Contains(':'))
                        throw new RelayConfigurationException($"{Path}:{keyNode.Start.Line}: a key must be a plain name without ':'");
                    string key = prefix is null ? name : prefix + ConfigurationPath.KeyDelimiter + name;
                    Record(key, keyNode.Start.Line, valueNode);
                    Flatten(valueNode, key, depth + 1);
                }
                break;
            case YamlSequenceNode sequence:
                for (int i = 0; i < sequence.Children.Count; i++)
                {
                    var item = sequence.Children[i];
                    string key = prefix + ConfigurationPath.KeyDelimiter + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    Record(key, item.Start.Line, item);
                    Flatten(item, key, depth + 1);
                }
                break;
            case YamlScalarNode scalar:
                bool isNull = scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";
                Data[prefix!] = isNull ? "" : scalar.Value ?? "";
                break;
        }
    }

    private void Record(string key, long line, YamlNode value)
    {
        if (_nodes.Count >= MaxKeys)
            throw new RelayConfigurationException($"{Path}:{line}: more than {MaxKeys} settings (a recursive alias?)");
        var shape = value switch
        {
            YamlMappingNode => YamlNodeShape.Mapping,
            YamlSequenceNode => YamlNodeShape.Sequence,
            _ => YamlNodeShape.Scalar,
        };
        _nodes[key] = ((int)line, shape);
        // An empty mapping or list still exists as a key, so that it can be told apart from a missing one.
        if (value is YamlMappingNode { Children.Count: 0 } or YamlSequenceNode { Children.Count: 0 })
            Data[key] = "";
    }
}
