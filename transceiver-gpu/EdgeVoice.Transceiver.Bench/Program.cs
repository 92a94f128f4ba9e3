using BenchmarkDotNet.Running;
using EdgeVoice.Transceiver.Bench;

// `figures [grammar.gram] [silero_vad.onnx] [ggml-whisper.bin] [piper-voice.onnx]` (use "-" to skip one): engine RTFs, pipeline overhead, end-of-speech latency. Anything else: BenchmarkDotNet.
if (args.Length > 0 && args[0] == "figures")
{
    string? Arg(int i) => args.Length > i && args[i] != "-" ? args[i] : null;
    await EngineFigures.RunAsync(Arg(1), Arg(2), Arg(3), Arg(4));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(FrameBenchmarks).Assembly).Run(args);
