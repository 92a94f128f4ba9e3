namespace EdgeVoice.Cli.Commands;

/// <summary>One `edgevoice NAME ...` command. Returns the process exit code.</summary>
public interface ICommand
{
    string Name { get; }
    string Summary { get; }
    string Usage { get; }
    int Run(CommandArgs args, TextWriter output, TextWriter error);
}
