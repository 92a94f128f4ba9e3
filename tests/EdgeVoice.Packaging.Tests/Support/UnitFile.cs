namespace EdgeVoice.Packaging.Tests.Support;

/// <summary>The settings of a systemd unit file that decide how its service starts (key → values in file order).</summary>
internal sealed class UnitFile
{
    private readonly Dictionary<string, List<string>> _settings = new(StringComparer.Ordinal);

    private UnitFile() { }

    public static UnitFile Load(string path)
    {
        var unit = new UnitFile();
        string section = "";
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }
            int equals = line.IndexOf('=');
            if (equals <= 0)
                continue;
            string key = section + "." + line[..equals].Trim();
            if (!unit._settings.TryGetValue(key, out var values))
                unit._settings[key] = values = [];
            values.Add(line[(equals + 1)..].Trim());
        }
        return unit;
    }

    public IReadOnlyList<string> All(string key) => _settings.TryGetValue("Service." + key, out var values) ? values : [];

    public string? Single(string key) => All(key) is [.., var last] ? last : null;

    /// <summary>ExecStart split into words (the packaged units quote nothing).</summary>
    public string[] ExecStart => (Single("ExecStart") ?? throw new InvalidOperationException("no ExecStart"))
        .Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The environment systemd gives the service: Environment= lines, then EnvironmentFile= files (a leading '-' marks an optional file).</summary>
    public Dictionary<string, string> ServiceEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string assignment in All("Environment").SelectMany(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            Add(environment, assignment);
        foreach (string entry in All("EnvironmentFile"))
        {
            string path = entry.TrimStart('-');
            if (!File.Exists(path))
            {
                if (entry.StartsWith('-'))
                    continue;
                throw new FileNotFoundException($"EnvironmentFile {path} is missing");
            }
            foreach (string line in File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] is not ('#' or ';')))
                Add(environment, line);
        }
        return environment;
    }

    private static void Add(Dictionary<string, string> environment, string assignment)
    {
        int equals = assignment.IndexOf('=');
        if (equals > 0)
            environment[assignment[..equals]] = assignment[(equals + 1)..];
    }
}
