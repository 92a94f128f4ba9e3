using System.Security.Cryptography;
using EdgeVoice.Cli.Commands;

namespace EdgeVoice.Cli;

public static class Program
{
    /// <summary>Every command, by name. Add new commands here.</summary>
    public static readonly ICommand[] Commands =
    [
        new CaCreateCommand(),
        new CertIssueCommand(),
        new CertShowCommand(),
        new TunnelProbeCommand(),
        new TunnelEchoCommand(),
        new SimulateCommand(),
    ];

    private static readonly HashSet<string> Switches = ["force", "help"];

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            PrintHelp(output);
            return args.Length == 0 ? 1 : 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            error.WriteLine($"edgevoice: unknown command '{args[0]}'");
            PrintHelp(error);
            return 1;
        }
        if (!CommandArgs.TryParse(args[1..], Switches, out var parsed, out string problem))
        {
            error.WriteLine($"edgevoice {command.Name}: {problem}\nusage: {command.Usage}");
            return 1;
        }
        if (parsed.Has("help"))
        {
            output.WriteLine($"usage: {command.Usage}");
            return 0;
        }
        try
        {
            return command.Run(parsed, output, error);
        }
        catch (UsageException e)
        {
            error.WriteLine($"edgevoice {command.Name}: {e.Message}\nusage: {command.Usage}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException
                                   or EdgeVoice.Tunnel.Config.TunnelConfigException or EdgeVoice.Tunnel.Quic.TunnelException or System.Net.Sockets.SocketException)
        {
            error.WriteLine($"edgevoice {command.Name}: {e.Message}");
            return 1;
        }
    }

    private static void PrintHelp(TextWriter w)
    {
        w.WriteLine("usage: edgevoice COMMAND [options]   (edgevoice COMMAND --help for its options)");
        foreach (var c in Commands)
            w.WriteLine($"  {c.Name,-12} {c.Summary}");
    }
}
