using System.Globalization;
using System.Text;

namespace EdgeVoice.Testing;

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4 for tests: each family's TYPE before its samples and only once,
/// names and label names checked, escapes undone. Anything else is a <see cref="FormatException"/> naming the line.
/// </summary>
public static class ExpositionParser
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        var typed = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!text.EndsWith('\n'))
            throw new FormatException("the exposition must end with a line feed");
        foreach (string line in text[..^1].Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
                continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                if (parts.Length != 4 || parts[3] is not ("counter" or "gauge" or "histogram"))
                    throw new FormatException($"bad TYPE line: {line}");
                if (!typed.TryAdd(parts[2], parts[3]))
                    throw new FormatException($"family {parts[2]} typed twice");
                continue;
            }
            samples.Add(ParseSample(line, typed));
        }
        return samples;
    }

    /// <summary>The value of the one sample named <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    public static double Value(this IEnumerable<Sample> samples, string name, params (string Name, string Value)[] labels) =>
        samples.Single(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value)).Value;

    private static Sample ParseSample(string line, Dictionary<string, string> typed)
    {
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        string name = line[..i];
        if (!IsName(name, colon: true))
            throw new FormatException($"bad metric name in: {line}");
        bool ofFamily = typed.ContainsKey(name) || typed.Any(f => f.Value == "histogram" && (name == f.Key + "_bucket" || name == f.Key + "_sum" || name == f.Key + "_count"));
        if (!ofFamily)
            throw new FormatException($"sample before its TYPE line: {line}");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (i < line.Length && line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"')
                    throw new FormatException($"bad label in: {line}");
                string label = line[i..eq];
                if (!IsName(label, colon: false))
                    throw new FormatException($"bad label name '{label}' in: {line}");
                var value = new StringBuilder();
                int j = eq + 2;
                for (; j < line.Length && line[j] != '"'; j++)
                {
                    if (line[j] != '\\') { value.Append(line[j]); continue; }
                    j++;
                    value.Append(j < line.Length ? line[j] switch
                    {
                        '\\' => '\\',
                        '"' => '"',
                        'n' => '\n',
                        var c => throw new FormatException($"bad escape \\{c} in: {line}"),
                    } : throw new FormatException($"cut escape in: {line}"));
                }
                if (j >= line.Length)
                    throw new FormatException($"unterminated label value in: {line}");
                if (!labels.TryAdd(label, value.ToString()))
                    throw new FormatException($"label {label} twice in: {line}");
                i = j + 1;
                if (i < line.Length && line[i] == ',') i++;
            }
            i++;
        }
        if (i >= line.Length || line[i] != ' ')
            throw new FormatException($"no value in: {line}");
        string number = line[(i + 1)..];
        double parsed = number switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, parsed);
    }

    private static bool IsName(string name, bool colon) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || (colon && c == ':'));
}
