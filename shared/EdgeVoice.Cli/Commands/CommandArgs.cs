using System.Diagnostics.CodeAnalysis;

namespace EdgeVoice.Cli.Commands;

/// <summary>`--name value` options and `--flag` switches after the command name; positionals in order.</summary>
public sealed class CommandArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    public List<string> Positionals { get; } = [];

    private CommandArgs() { }

    /// <param name="switches">Options that take no value.</param>
    public static bool TryParse(IReadOnlyList<string> args, IReadOnlySet<string> switches, [NotNullWhen(true)] out CommandArgs? parsed, out string problem)
    {
        parsed = new CommandArgs();
        problem = "";
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                parsed.Positionals.Add(a);
                continue;
            }
            string name = a[2..];
            if (switches.Contains(name))
            {
                parsed._options[name] = null;
                continue;
            }
            if (i + 1 >= args.Count)
            {
                problem = $"option --{name} needs a value";
                parsed = null;
                return false;
            }
            parsed._options[name] = args[++i];
        }
        return true;
    }

    public bool Has(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    public string? Get(string name)
    {
        _used.Add(name);
        return _options.GetValueOrDefault(name);
    }

    /// <summary>Options given but never asked for: typos the user should hear about.</summary>
    public IEnumerable<string> Unused => _options.Keys.Where(k => !_used.Contains(k));
}

/// <summary>A user error in a command's arguments; the message names the option.</summary>
public sealed class UsageException(string message) : Exception(message);

public static class CommandArgsExtensions
{
    public static string Require(this CommandArgs args, string name) =>
        args.Get(name) ?? throw new UsageException($"missing --{name}");

    public static int Days(this CommandArgs args, string name, int fallback) => args.Count(name, fallback, "days", 36500);

    /// <summary>A positive whole number option (days, seconds) with an upper bound.</summary>
    public static int Count(this CommandArgs args, string name, int fallback, string unit, int max)
    {
        string? text = args.Get(name);
        if (text is null) return fallback;
        if (!int.TryParse(text, out int value) || value < 1 || value > max)
            throw new UsageException($"--{name} must be a whole number of {unit} between 1 and {max}, got '{text}'");
        return value;
    }

    public static void RejectUnused(this CommandArgs args)
    {
        foreach (string name in args.Unused)
            throw new UsageException($"unknown option --{name}");
    }
}
