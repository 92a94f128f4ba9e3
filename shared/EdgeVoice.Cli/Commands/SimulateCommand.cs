namespace EdgeVoice.Cli.Commands;

/// <summary><c>edgevoice simulate</c>: the transceiver's whole pipeline offline on a WAV file (see transceiver-gpu/README.md).</summary>
public sealed class SimulateCommand : ICommand
{
    public string Name => "simulate";
    public string Summary => "run the voice pipeline offline: question WAV in, answer WAV out, transcript and timings printed";
    public string Usage => "edgevoice simulate --in question.wav --out answer.wav [--config configs/transceiver.yaml]";

    public int Run(CommandArgs args, TextWriter output, TextWriter error)
    {
        var forwarded = new List<string> { "--in", args.Require("in"), "--out", args.Require("out") };
        if (args.Get("config") is { } config)
            forwarded.AddRange(["--config", config]);
        if (args.Unused.FirstOrDefault() is { } unknown)
            throw new UsageException($"unknown option --{unknown}");
        return EdgeVoice.Transceiver.Pipeline.SimulateCommand.RunAsync([.. forwarded]).GetAwaiter().GetResult();
    }
}
