using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Transceiver.Vad;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class SileroVadTests(ITestOutputHelper output)
{
    // Fetched once per machine with npm into the model cache, exactly as `edgevoice-transceiver setup` does.
    private static readonly Lazy<Task<string>> Model = new(() => SileroModel.EnsureAsync(SileroModel.DefaultCacheDirectory, _ => { }));

    private static float[] Probabilities(IVoiceActivityDetector vad, short[] pcm16k)
    {
        var result = new List<float>();
        var chunk = new float[vad.ChunkSamples];
        for (int offset = 0; offset + chunk.Length <= pcm16k.Length; offset += chunk.Length)
        {
            for (int i = 0; i < chunk.Length; i++) chunk[i] = pcm16k[offset + i] / 32768f;
            result.Add(vad.SpeechProbability(chunk));
        }
        return result.ToArray();
    }

    [Fact]
    public async Task Finds_speech_in_espeak_audio_and_none_in_silence_or_low_noise()
    {
        var log = new List<string>();
        var onnx = new OnnxSessionFactory(new DeviceConfig("cpu", 0), log.Add);
        using var vad = new SileroVad(onnx.Open(await Model.Value));
        Assert.Equal("CPU", onnx.LastProvider);

        var speech = PolyphaseResampler.Convert(Speech.Say("what is the weather today"), EspeakNg.SampleRate, 16_000);
        var p = Probabilities(vad, speech);
        output.WriteLine($"speech: max {p.Max():F2}, {p.Count(x => x > 0.5f)}/{p.Length} chunks above 0.5");
        Assert.True(p.Count(x => x > 0.5f) > p.Length / 3);

        vad.Reset();
        Assert.All(Probabilities(vad, new short[16_000 * 2]), x => Assert.True(x < 0.2f, $"silence scored {x}"));
        vad.Reset();
        var random = new Random(2);
        var noise = new short[16_000 * 2];
        for (int i = 0; i < noise.Length; i++) noise[i] = (short)random.Next(-100, 100);
        var n = Probabilities(vad, noise);
        output.WriteLine($"low noise: max {n.Max():F2}");
        Assert.All(n, x => Assert.True(x < 0.3f, $"noise scored {x}"));
    }

    [Fact]
    public async Task Binding_inputs_again_per_chunk_as_on_cuda_gives_the_same_probabilities()
    {
        // The GPU path rebinds its inputs each chunk (ONNX Runtime copies bound CPU inputs to the GPU at bind time);
        // here on the CPU provider it must compute exactly what the bind-once path computes.
        var onnx = new OnnxSessionFactory(new DeviceConfig("cpu", 0), _ => { });
        var session = onnx.Open(await Model.Value);
        var speech = PolyphaseResampler.Convert(Speech.Say("what is the weather today"), EspeakNg.SampleRate, 16_000);
        using var once = new SileroVad(session);
        using var each = new SileroVad(session, onDevice: true);
        var a = Probabilities(once, speech);
        var b = Probabilities(each, speech);
        Assert.Equal(a, b);
        Assert.True(a.Count(x => x > 0.5f) > a.Length / 3);
    }

    [Fact]
    public async Task A_chunk_allocates_nothing_managed()
    {
        var onnx = new OnnxSessionFactory(new DeviceConfig("cpu", 0), _ => { });
        using var vad = new SileroVad(onnx.Open(await Model.Value));
        var chunk = new float[vad.ChunkSamples];
        for (int i = 0; i < 10; i++) vad.SpeechProbability(chunk); // warm-up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) vad.SpeechProbability(chunk);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{allocated} bytes for 100 chunks");
        Assert.True(allocated < 100 * 64, $"{allocated} bytes for 100 chunks");
    }

    [Fact]
    public async Task Cuda_request_runs_with_one_log_line_naming_the_provider()
    {
        var log = new List<string>();
        var onnx = new OnnxSessionFactory(new DeviceConfig("cuda", 0), log.Add);
        onnx.Open(await Model.Value);
        foreach (var line in log) output.WriteLine(line);
        if (onnx.LastProvider == "CPU")
        {
            // No CUDA 13 runtime or GPU here: one line says why, one says where it runs.
            Assert.Single(log, l => l.Contains("falling back to CPU"));
            Assert.Single(log, l => l.Contains("runs on the CPU execution provider"));
        }
        else
        {
            Assert.Equal("CUDA", onnx.LastProvider);
            Assert.Equal(["onnx: silero_vad.onnx runs on the CUDA execution provider (device 0)"], log);
        }
        Assert.Same(onnx.Open(await Model.Value), onnx.Open(await Model.Value));
    }

    [Fact]
    public async Task Pipeline_runs_with_silero_as_its_vad()
    {
        var onnx = new OnnxSessionFactory(new DeviceConfig("cpu", 0), _ => { });
        var engines = PipelineTests.EmbeddedDefault() with { Vad = new SileroVad(onnx.Open(await Model.Value)) };
        await using var pipeline = VoicePipeline.Start(engines, PipelineTests.Offline);
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(Speech.Say("set an alarm"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        await caller.FinishAsync();
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.FinalTranscript && e.Text == "set an alarm");
    }
}
