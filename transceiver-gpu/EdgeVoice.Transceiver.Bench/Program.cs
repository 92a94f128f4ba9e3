using BenchmarkDotNet.Running;
using EdgeVoice.Transceiver.Bench;

// `figures [grammar.gram] [silero_vad.onnx]`: engine RTFs, pipeline overhead, end-of-speech latency. Anything else: BenchmarkDotNet.
if (args.Length > 0 && args[0] == "figures")
{
    await EngineFigures.RunAsync(args.Length > 1 ? args[1] : null, args.Length > 2 ? args[2] : null);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(FrameBenchmarks).Assembly).Run(args);
