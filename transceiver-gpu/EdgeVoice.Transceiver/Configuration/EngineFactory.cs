using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Transceiver.Vad;

namespace EdgeVoice.Transceiver.Configuration;

/// <summary>Builds the engines of one session by the names chosen in the configuration.</summary>
public sealed class EngineFactory(TransceiverConfig config, Action<string> log)
{
    public Action<string> Log { get; } = log;
    public TransceiverConfig Config { get; } = config;

    /// <summary>ONNX Runtime sessions on the configured device, shared by every session of this process.</summary>
    public OnnxSessionFactory Onnx { get; } = new(config.Device, log);

    /// <summary>
    /// Silero VAD's session, always on the CPU provider: on an H100 a 32 ms chunk took 2.9x longer on CUDA than on
    /// one CPU core, and 64 sessions got 9x fewer chunks/s (bench `gpu` command); the GPU is left to ASR and TTS.
    /// </summary>
    private readonly OnnxSessionFactory _vadOnnx = new(new DeviceConfig("cpu", 0), log);

    /// <summary>One connection pool for every session's agent; timeouts are the pipeline's, per token.</summary>
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    public SessionEngines CreateSession()
    {
        var vad = CreateVad();
        try
        {
            var asr = CreateRecognizer();
            var agent = CreateAgent();
            var tts = CreateSynthesizer();
            return new SessionEngines(vad, asr, agent, tts);
        }
        catch
        {
            vad.Dispose();
            throw;
        }
    }

    public IVoiceActivityDetector CreateVad() => Config.Vad.Engine switch
    {
        "energy" => new EnergyVad(Config.Vad.ThresholdDb),
        "silero" => new SileroVad(_vadOnnx.Open(Config.Vad.Model!)),
        var other => throw new NotSupportedException($"VAD engine '{other}'"),
    };

    public ISpeechRecognizer CreateRecognizer() => Config.Asr.Engine switch
    {
        "pocketsphinx" => new PocketSphinxRecognizer(Config.Asr.PocketSphinxModelDir, Config.Asr.Grammar),
        "whisper" => new WhisperRecognizer(Config.Asr.WhisperModel!, Config.Asr.WhisperLanguage, Config.Asr.WhisperThreads, Log,
            gpuDevice: Config.Device.Kind == "cuda" ? Config.Device.Id : null),
        var other => throw new NotSupportedException($"ASR engine '{other}'"),
    };

    public IAgent CreateAgent() => Config.Agent.Engine switch
    {
        "echo" => new EchoAgent(),
        "openai" => new OpenAiChatAgent(Http, new OpenAiChatSettings(new Uri(Config.Agent.BaseUrl), Config.Agent.Model,
            Environment.GetEnvironmentVariable(Config.Agent.ApiKeyEnv), Config.Agent.SystemPrompt, Config.Agent.MaxHistory)),
        var other => throw new NotSupportedException($"agent '{other}'"),
    };

    public ISpeechSynthesizer CreateSynthesizer() => Config.Tts.Engine switch
    {
        "piper" => new PiperSynthesizer(Onnx.Open(Config.Tts.PiperModel!), PiperVoiceConfig.Load(Config.Tts.PiperModel + ".json"), Config.Tts.PiperSpeaker, Log),
        "espeak" => EspeakNg.IsSupported ? new EspeakSynthesizer(Config.Tts.Voice, Config.Tts.Rate) : throw new InvalidOperationException(EspeakNg.NotSupportedReason),
        var other => throw new NotSupportedException($"TTS engine '{other}'"),
    };
}
