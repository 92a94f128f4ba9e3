using System.Diagnostics;
using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Transceiver.Vad;

namespace EdgeVoice.Transceiver.Bench;

/// <summary>
/// Whole-turn figures that BenchmarkDotNet's per-call model does not fit: real-time factor of each CPU engine,
/// pipeline overhead per turn with model time excluded (beside a codec-only floor), and end-of-speech to first audio.
/// </summary>
internal static class EngineFigures
{
    private static readonly string[] Questions = ["what time is it", "what is the weather today", "how old are you", "turn on the lights", "play some music"];

    public static async Task RunAsync(string? grammar, string? sileroModel, string? whisperModel, string? piperVoice)
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        var speech = Questions.Select(q => PolyphaseResampler.Convert(EspeakNg.Synthesize(q, "en-us+m3", 140, default), EspeakNg.SampleRate, 16_000)).ToList();
        double audioSeconds = speech.Sum(s => s.Length) / 16_000.0;
        Console.WriteLine($"input: {Questions.Length} espeak questions, {audioSeconds:F2} s of 16 kHz audio");
        Console.WriteLine("real-time factor on CPU (processing time / audio time; lower is faster):");

        Rtf("vad energy", audioSeconds, () => RunVad(new EnergyVad(), speech));
        if (sileroModel is not null)
        {
            var onnx = new OnnxSessionFactory(new DeviceConfig("cpu", 0), _ => { });
            Rtf("vad silero", audioSeconds, () => RunVad(new SileroVad(onnx.Open(sileroModel)), speech));
        }
        Rtf("asr pocketsphinx (en-us LM)", audioSeconds, () => RunAsr(new PocketSphinxRecognizer(), speech));
        if (grammar is not null) Rtf("asr pocketsphinx (JSGF)", audioSeconds, () => RunAsr(new PocketSphinxRecognizer(grammarPath: grammar), speech));
        if (whisperModel is not null) Rtf("asr whisper (" + Path.GetFileName(whisperModel) + ")", audioSeconds, () => RunAsr(new WhisperRecognizer(whisperModel, "en", 2, _ => { }), speech));
        if (piperVoice is not null)
        {
            var onnx = new OnnxSessionFactory(new DeviceConfig("cpu", 0), _ => { });
            var piper = new PiperSynthesizer(onnx.Open(piperVoice), PiperVoiceConfig.Load(piperVoice + ".json"), 0, _ => { });
            double piperAudio = 0;
            piper.SynthesizeAsync("Warm up.", default).GetAwaiter().GetResult();
            var piperTime = Time(() => { foreach (var q in Questions) piperAudio += piper.SynthesizeAsync("You said " + q + ".", default).GetAwaiter().GetResult().Length / (double)piper.SampleRate; });
            Console.WriteLine($"  {"tts piper (" + Path.GetFileName(piperVoice) + ")",-30} RTF {piperTime.TotalSeconds / piperAudio:F4}  ({piperTime.TotalMilliseconds:F0} ms for {piperAudio:F2} s)");
        }
        double ttsAudio = 0;
        var ttsTime = Time(() => { foreach (var q in Questions) ttsAudio += EspeakNg.Synthesize("You said " + q + ".", "en-us+m3", 140, default).Length / (double)EspeakNg.SampleRate; });
        Console.WriteLine($"  {"tts espeak-ng",-30} RTF {ttsTime.TotalSeconds / ttsAudio:F4}  ({ttsTime.TotalMilliseconds:F0} ms for {ttsAudio:F2} s)");
        var opusTime = Time(() => RunOpus(speech));
        Console.WriteLine($"  {"opus encode+decode (" + new OpusFrameDecoder().Kind + ")",-30} RTF {opusTime.TotalSeconds / audioSeconds:F4}");

        WordErrorRates(grammar);
        await PipelineOverheadAsync(grammar);
        await EndOfSpeechToFirstAudioAsync(grammar);
    }

    /// <summary>pocketsphinx on espeak-ng speech (en-us+m3, 140 wpm), straight from the synthesizer, no Opus.</summary>
    private static void WordErrorRates(string? grammar)
    {
        string[] questions = ["what time is it", "what is the weather today", "how old are you", "can you help me", "turn on the lights", "play some music",
            "what is your name", "where are you from", "call my mother", "set an alarm", "what day is it", "open the door"];
        foreach (var (name, g) in new[] { ("en-us language model", (string?)null), ("demo JSGF grammar", grammar) })
        {
            if (name.Contains("JSGF") && g is null) continue;
            using var asr = new PocketSphinxRecognizer(grammarPath: g);
            int errors = 0, words = 0;
            foreach (var q in questions)
            {
                asr.StartUtterance();
                asr.AcceptAudio(PolyphaseResampler.Convert(EspeakNg.Synthesize(q, "en-us+m3", 140, default), EspeakNg.SampleRate, 16_000));
                errors += WordErrorRate.Errors(q, asr.FinishAsync(default).GetAwaiter().GetResult());
                words += WordErrorRate.Words(q).Length;
            }
            Console.WriteLine($"  WER pocketsphinx, {name,-22} {errors / (double)words:P1} ({errors}/{words} words, {questions.Length} questions)");
        }
    }

    private static void Rtf(string name, double audioSeconds, Action run)
    {
        run(); // warm-up: model load, JIT
        var t = Time(run);
        Console.WriteLine($"  {name,-30} RTF {t.TotalSeconds / audioSeconds:F4}  ({t.TotalMilliseconds:F0} ms)");
    }

    private static TimeSpan Time(Action run)
    {
        var sw = Stopwatch.StartNew();
        run();
        return sw.Elapsed;
    }

    private static void RunVad(IVoiceActivityDetector vad, List<short[]> speech)
    {
        var chunk = new float[vad.ChunkSamples];
        foreach (var s in speech)
            for (int o = 0; o + chunk.Length <= s.Length; o += chunk.Length)
            {
                for (int i = 0; i < chunk.Length; i++) chunk[i] = s[o + i] / 32768f;
                vad.SpeechProbability(chunk);
            }
    }

    private static void RunAsr(ISpeechRecognizer asr, List<short[]> speech)
    {
        foreach (var s in speech)
        {
            asr.StartUtterance();
            for (int o = 0; o < s.Length; o += 320) asr.AcceptAudio(s.AsSpan(o, Math.Min(320, s.Length - o)));
            asr.FinishAsync(default).GetAwaiter().GetResult();
        }
    }

    private static void RunOpus(List<short[]> speech)
    {
        var enc = new OpusFrameEncoder();
        var dec = new OpusFrameDecoder();
        var packet = new byte[1275];
        var pcm = new short[960];
        foreach (var s in speech)
        {
            var wide = PolyphaseResampler.Convert(s, 16_000, 48_000);
            for (int o = 0; o + 960 <= wide.Length; o += 960)
            {
                int n = enc.Encode(wide.AsSpan(o, 960), packet);
                dec.TryDecode(packet.AsSpan(0, n), pcm, out _);
            }
        }
    }

    /// <summary>Instant engines, so only the pipeline's own work is timed (model time excluded).</summary>
    private sealed class InstantRecognizer(string text) : ISpeechRecognizer
    {
        public string Name => "instant";
        public void StartUtterance() { }
        public void AcceptAudio(ReadOnlySpan<short> pcm) { }
        public string? Partial() => null;
        public Task<string> FinishAsync(CancellationToken cancellationToken) => Task.FromResult(text);
        public void Dispose() { }
    }

    private sealed class RecordedSynthesizer(short[] audio, int rate) : ISpeechSynthesizer
    {
        public string Name => "recorded";
        public int SampleRate => rate;
        public Task<short[]> SynthesizeAsync(string text, CancellationToken cancellationToken) => Task.FromResult(audio);
        public void Dispose() { }
    }

    private static async Task PipelineOverheadAsync(string? grammar)
    {
        var question = EspeakNg.Synthesize("what time is it", "en-us+m3", 140, default);
        var reply = EspeakNg.Synthesize("You said what time is it.", "en-us+m3", 140, default);
        var options = new PipelineOptions { Pacing = Pacing.Offline };
        const int turns = 20;
        // Prepare the caller's Opus frames once, outside the timing.
        async Task<(TimeSpan Wall, int FramesIn, int FramesOut)> OneCall()
        {
            var engines = new SessionEngines(new EnergyVad(), new InstantRecognizer("what time is it"), new EchoAgent(), new RecordedSynthesizer(reply, EspeakNg.SampleRate));
            await using var pipeline = VoicePipeline.Start(engines, options);
            var caller = new OfflineCaller(pipeline);
            var sw = Stopwatch.StartNew();
            for (int t = 0; t < turns; t++)
            {
                await caller.SpeakAsync(question, EspeakNg.SampleRate);
                await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
            }
            await caller.FinishAsync();
            return (sw.Elapsed, caller.FramesSent, caller.Frames.Count);
        }
        await OneCall(); // warm-up
        var (wall, framesIn, framesOut) = await OneCall();

        // Baseline, same run: the codec floor — Opus-encode every caller frame, decode it, encode every reply frame.
        var floor = Time(() =>
        {
            var enc = new OpusFrameEncoder(); var dec = new OpusFrameDecoder();
            var packet = new byte[1275]; var pcm = new short[960]; var frame = new short[960];
            for (int i = 0; i < framesIn; i++) { int n = enc.Encode(frame, packet); dec.TryDecode(packet.AsSpan(0, n), pcm, out _); }
            for (int i = 0; i < framesOut; i++) enc.Encode(frame, packet);
        });
        Console.WriteLine($"pipeline overhead per turn, model time excluded ({turns} turns, {framesIn} caller frames, {framesOut} agent frames):");
        Console.WriteLine($"  pipeline {wall.TotalMilliseconds / turns:F2} ms/turn ({wall.TotalMilliseconds * 1000 / framesIn:F1} µs per caller frame, includes the caller's own Opus encoding)");
        Console.WriteLine($"  baseline codec floor {floor.TotalMilliseconds / turns:F2} ms/turn; ratio pipeline/floor {wall.TotalMilliseconds / floor.TotalMilliseconds:F2}x");
        Console.WriteLine($"  media time per turn {framesIn * 20.0 / turns / 1000:F2} s → pipeline runs {framesIn * 20.0 / wall.TotalMilliseconds:F0}x faster than real time");
    }

    private static async Task EndOfSpeechToFirstAudioAsync(string? grammar)
    {
        // Embedded default engines, real models; offline pacing, so media time stops while models run and wall latency is model + pipeline time.
        var options = new PipelineOptions { Pacing = Pacing.Offline };
        var engines = new SessionEngines(new EnergyVad(), new PocketSphinxRecognizer(grammarPath: grammar), new EchoAgent(), new EspeakSynthesizer());
        await using var pipeline = VoicePipeline.Start(engines, options);
        var caller = new OfflineCaller(pipeline);
        var latencies = new List<double>();
        foreach (var q in Questions)
        {
            await caller.SpeakAsync(EspeakNg.Synthesize(q, "en-us+m3", 140, default), EspeakNg.SampleRate);
            await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        }
        await caller.FinishAsync();
        foreach (var turn in pipeline.CompletedTurns) if (turn.WallLatency is { } l) latencies.Add(l.TotalMilliseconds);
        latencies.Sort();
        double endSilence = options.Turns.EndOfTurnSilence.TotalMilliseconds;
        Console.WriteLine($"end of speech → first agent audio frame, embedded default (pocketsphinx{(grammar is null ? "" : " JSGF")} + echo + espeak-ng), {latencies.Count} turns:");
        Console.WriteLine($"  model+pipeline wall time after turn end: median {latencies[latencies.Count / 2]:F1} ms, max {latencies[^1]:F1} ms");
        Console.WriteLine($"  plus end-of-turn silence {endSilence:F0} ms and jitter buffer {options.JitterDepth * 20} ms → median {latencies[latencies.Count / 2] + endSilence + options.JitterDepth * 20:F0} ms end of speech to first frame");
    }
}
