using System.Collections;
using Microsoft.Extensions.Configuration;

namespace EdgeVoice.Relay.Configuration;

/// <summary>
/// Loads <see cref="RelayOptions"/>: the YAML file, overridden by <c>EDGEVOICE_SECTION__KEY</c> environment variables,
/// overridden by <c>--section:key=value</c> arguments; every key is read explicitly (no reflection) and validated, and
/// keys nobody reads are errors. All problems are reported together in one <see cref="RelayConfigurationException"/>.
/// </summary>
public static class RelayOptionsLoader
{
    public const string DefaultPath = "configs/relay.yaml";
    public const string PathVariable = "EDGEVOICE_RELAY_CONFIG";
    public const string PathArgument = "--config";
    public const string EnvironmentPrefix = "EDGEVOICE_";

    /// <summary>The config path: <c>--config &lt;path&gt;</c> or <c>--config=&lt;path&gt;</c>, else EDGEVOICE_RELAY_CONFIG, else configs/relay.yaml.</summary>
    public static string ResolvePath(string[] args, IDictionary environment)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith(PathArgument + "=", StringComparison.Ordinal))
                return args[i][(PathArgument.Length + 1)..];
            if (args[i] == PathArgument && i + 1 < args.Length)
                return args[i + 1];
        }
        return environment[PathVariable] is string { Length: > 0 } path ? path : DefaultPath;
    }

    public static RelayOptions Load(string[] args, IDictionary environment) =>
        Load(ResolvePath(args, environment), args, environment);

    /// <exception cref="RelayConfigurationException">The file is missing or invalid, or a setting is wrong or unknown.</exception>
    public static RelayOptions Load(string path, string[] args, IDictionary environment)
    {
        CheckArgumentShapes(args);
        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder()
                .Add(new YamlConfigurationSource(path))
                .Add(new EnvironmentOverrideSource(environment, EnvironmentPrefix, [PathVariable]))
                .AddCommandLine(args)
                .Build();
        }
        catch (FormatException e)
        {
            throw new RelayConfigurationException($"command line: the arguments cannot be read as settings ({e.GetType().Name}); give them as --section:key=value");
        }
        var settings = new RelaySettings(root, path);
        var options = settings.Read();
        settings.ReportUnknownKeys();
        if (settings.Errors.Count > 0)
            throw new RelayConfigurationException(settings.Errors);
        return options;
    }

    /// <summary>The command-line reader silently skips anything but <c>--key=value</c> / <c>--key value</c>; a skipped argument is a typo.</summary>
    private static void CheckArgumentShapes(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2 && arg[2] != '=')
            {
                if (!arg.Contains('='))
                    i++;
                continue;
            }
            string shown = arg.Length > 60 ? arg[..60] + "..." : arg;
            throw new RelayConfigurationException($"command line: unexpected argument '{shown}'; settings are given as --section:key=value (e.g. --media:udp_port=4000)");
        }
    }
}
