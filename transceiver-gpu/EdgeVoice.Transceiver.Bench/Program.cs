using BenchmarkDotNet.Running;
using EdgeVoice.Transceiver.Bench;

// `figures [grammar.gram] [silero_vad.onnx] [ggml-whisper.bin] [piper-voice.onnx]` (use "-" to skip one): engine RTFs, pipeline overhead, end-of-speech latency. Anything else: BenchmarkDotNet.
if (args.Length > 0 && args[0] == "figures")
{
    string? Arg(int i) => args.Length > i && args[i] != "-" ? args[i] : null;
    await EngineFigures.RunAsync(Arg(1), Arg(2), Arg(3), Arg(4));
    return 0;
}
// `gpu speech-16k.wav silero_vad.onnx [device-id] [sessions,...] [chunks-per-session]`: Silero VAD on CUDA beside CPU, same run.
if (args.Length >= 3 && args[0] == "gpu")
{
    int[] counts = args.Length > 4 ? args[4].Split(',').Select(int.Parse).ToArray() : [1, 16, 64];
    return GpuFigures.Run(args[1], args[2], args.Length > 3 ? int.Parse(args[3]) : 0, counts, args.Length > 5 ? int.Parse(args[5]) : 500);
}
BenchmarkSwitcher.FromAssembly(typeof(FrameBenchmarks).Assembly).Run(args);
return 0;
