using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Transceiver.Vad;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class EngineFactoryTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgevoice-engines").FullName;

    [Fact]
    public async Task Every_model_engine_is_built_from_yaml_on_a_cuda_request()
    {
        string silero = await SileroModel.EnsureAsync(SileroModel.DefaultCacheDirectory, _ => { });
        string whisper = Path.Combine(_dir, "tiny-whisper.bin");
        TinyWhisperModel.Write(whisper, seed: 7);
        string piper = TinyPiperVoice.Create(_dir);
        await using var server = new LocalChatServer();
        string yaml = $"""
            device:
              kind: cuda
              id: 0
            vad:
              engine: silero
              model: {silero}
            asr:
              engine: whisper
              whisper:
                model: tiny-whisper.bin
            agent:
              engine: openai
              openai:
                base_url: {server.BaseUrl}
                model: tiny-model
                api_key_env: EDGEVOICE_TEST_NO_SUCH_KEY
            tts:
              engine: piper
              piper:
                model: tiny-voice.onnx
            """;
        string path = Path.Combine(_dir, "transceiver.yaml");
        File.WriteAllText(path, yaml);
        var config = TransceiverConfig.Load(path);
        Assert.Equal(whisper, config.Asr.WhisperModel); // relative to the YAML file

        var log = new List<string>();
        var factory = new EngineFactory(config, log.Add);
        using var engines = factory.CreateSession();
        foreach (var line in log) output.WriteLine(line);
        Assert.IsType<SileroVad>(engines.Vad);
        Assert.IsType<WhisperRecognizer>(engines.Asr);
        Assert.IsType<OpenAiChatAgent>(engines.Agent);
        Assert.IsType<PiperSynthesizer>(engines.Tts);
        Assert.Equal(TinyPiperVoice.SampleRate, engines.Tts.SampleRate);
        // Two ONNX models opened on a CUDA request: each says where it runs.
        Assert.Equal(2, log.Count(l => l.Contains("runs on the") && l.Contains("execution provider")));
        // Silero VAD stays on the CPU even on a CUDA request (it is slower on a GPU; see EngineFactory).
        Assert.Contains(log, l => l.Contains("silero_vad.onnx runs on the CPU execution provider"));

        var pieces = new List<string>();
        await foreach (var p in engines.Agent.ReplyAsync("hello", CancellationToken.None)) pieces.Add(p);
        Assert.Equal(server.Tokens, pieces);
        Assert.Equal("", server.Requests[0].Authorization); // no key in the environment: no Authorization header
    }

    [Fact]
    public void Missing_model_files_stop_start_up_with_their_paths()
    {
        string path = Path.Combine(_dir, "transceiver.yaml");
        File.WriteAllText(path, "tts:\n  engine: piper\n  piper:\n    model: voices/missing.onnx\n");
        var e = Assert.Throws<ConfigurationException>(() => TransceiverConfig.Load(path));
        Assert.Equal(4, e.Line);
        Assert.Equal("tts.piper.model", e.Field);
        Assert.Contains(Path.Combine(_dir, "voices/missing.onnx"), e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
