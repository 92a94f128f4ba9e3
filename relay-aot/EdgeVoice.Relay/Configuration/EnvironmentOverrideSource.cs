using System.Collections;
using Microsoft.Extensions.Configuration;

namespace EdgeVoice.Relay.Configuration;

/// <summary>
/// Environment variables <c>EDGEVOICE_SECTION__KEY</c> as overrides of <c>section:key</c>, from a dictionary so tests need no
/// process environment; remembers each key's variable name for error messages.
/// </summary>
public sealed class EnvironmentOverrideSource(IDictionary variables, string prefix, IReadOnlyCollection<string> excluded) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new EnvironmentOverrideProvider(variables, prefix, excluded);
}

public sealed class EnvironmentOverrideProvider(IDictionary variables, string prefix, IReadOnlyCollection<string> excluded) : ConfigurationProvider
{
    private readonly Dictionary<string, string> _names = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The variable that set <paramref name="key"/> or, for a section, one of its descendants.</summary>
    public bool TryGetVariableName(string key, out string name)
    {
        if (_names.TryGetValue(key, out name!))
            return true;
        string prefix = key + ConfigurationPath.KeyDelimiter;
        foreach (var (candidate, variable) in _names)
        {
            if (candidate.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                name = variable;
                return true;
            }
        }
        name = "";
        return false;
    }

    public override void Load()
    {
        Data.Clear();
        _names.Clear();
        foreach (DictionaryEntry entry in variables)
        {
            if (entry.Key is not string name || !name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                continue;
            if (excluded.Contains(name, StringComparer.OrdinalIgnoreCase))
                continue;
            string key = name[prefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            Data[key] = entry.Value as string ?? "";
            _names[key] = name;
        }
    }
}
