using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Turns;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EdgeVoice.Transceiver.Configuration;

public sealed record DeviceConfig(string Kind, int Id);
public sealed record VadConfig(string Engine, string? Model, double ThresholdDb, float Activation, float Deactivation);
public sealed record AsrConfig(string Engine, string PocketSphinxModelDir, string? Grammar, string? WhisperModel, string WhisperLanguage, int WhisperThreads);
public sealed record AgentConfig(string Engine, string BaseUrl, string Model, string ApiKeyEnv, string SystemPrompt, int MaxHistory, TimeSpan FirstTokenTimeout, TimeSpan StallTimeout, string Apology);
/// <param name="Listen">Where <c>serve</c> answers Prometheus scrapes (GET /metrics); null when <c>listen: off</c>.</param>
/// <param name="Explicit">Set in the file: a listen address that cannot be bound fails start-up; the default only logs.</param>
public sealed record MetricsConfig(System.Net.IPEndPoint? Listen, bool Explicit)
{
    public static readonly System.Net.IPEndPoint DefaultListen = new(System.Net.IPAddress.Loopback, 9464);
}
public sealed record TtsConfig(string Engine, string Voice, int Rate, string? PiperModel, int PiperSpeaker);

/// <summary>The transceiver's settings (<c>configs/transceiver.yaml</c>), validated at start-up.</summary>
public sealed record TransceiverConfig(
    string Source,
    DeviceConfig Device,
    int OpusBitrate,
    int JitterDepth,
    VadConfig Vad,
    TurnSettings Turns,
    TimeSpan PreRoll,
    bool BargeIn,
    AsrConfig Asr,
    AgentConfig Agent,
    TtsConfig Tts,
    int MaxSessions,
    int MaxReplyChars,
    MetricsConfig? Metrics = null)
{
    /// <summary>On SIGTERM, how long the transceiver waits for relays to move its calls elsewhere before it closes what is left.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public static readonly string[] VadEngines = ["energy", "silero"];
    public static readonly string[] AsrEngines = ["pocketsphinx", "whisper"];
    public static readonly string[] AgentEngines = ["echo", "openai"];
    public static readonly string[] TtsEngines = ["espeak", "piper"];

    /// <summary>Built-in defaults: the embedded engines, no model files.</summary>
    public static TransceiverConfig Defaults => Parse("(defaults)", "{}");

    public static TransceiverConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigurationException(path, 0, "(file)", "configuration file not found");
        return Parse(path, File.ReadAllText(path));
    }

    public static TransceiverConfig Parse(string file, string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ConfigurationException(file, (int)e.Start.Line, "(syntax)", e.InnerException?.Message ?? e.Message);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or OverflowException)
        {
            // YamlDotNet reports some malformed input (bad tags, anchors) with plain exceptions.
            throw new ConfigurationException(file, 0, "(syntax)", e.Message);
        }
        YamlMappingNode? root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode as YamlMappingNode;
        if (stream.Documents.Count > 0 && root is null && stream.Documents[0].RootNode is not YamlScalarNode { Value: null or "" })
            throw new ConfigurationException(file, (int)stream.Documents[0].RootNode.Start.Line, "(root)", "expected a mapping of settings");
        var top = new YamlSection(file, "", root, 1);

        var device = top.Section("device");
        var deviceConfig = new DeviceConfig(device.Choice("kind", "cpu", "cpu", "cuda"), device.Int("id", 0, 0, 64));

        var opus = top.Section("opus");
        int bitrate = opus.Int("bitrate", 32_000, 6_000, 510_000);
        int jitter = opus.Int("jitter_depth", 3, 1, 50);

        var vad = top.Section("vad");
        string vadEngine = vad.Choice("engine", "energy", VadEngines);
        var vadConfig = new VadConfig(
            vadEngine,
            vad.PathValue("model", vadEngine == "silero" ? Path.Combine(global::EdgeVoice.Transceiver.Vad.SileroModel.DefaultCacheDirectory, global::EdgeVoice.Transceiver.Vad.SileroModel.FileName) : null),
            vad.Double("threshold_db", -40, -100, 0),
            (float)vad.Double("activation", 0.5, 0.01, 0.99),
            (float)vad.Double("deactivation", 0.35, 0.01, 0.99));
        if (vadConfig.Deactivation > vadConfig.Activation) throw vad.Error("deactivation", $"must not exceed activation ({vadConfig.Activation})");

        var turns = top.Section("turns");
        var turnSettings = new TurnSettings
        {
            ActivationThreshold = vadConfig.Activation,
            DeactivationThreshold = vadConfig.Deactivation,
            MinSpeech = TimeSpan.FromMilliseconds(turns.Int("min_speech_ms", 200, 20, 5_000)),
            EndOfTurnSilence = TimeSpan.FromMilliseconds(turns.Int("end_silence_ms", 600, 100, 10_000)),
            MaxTurn = TimeSpan.FromSeconds(turns.Int("max_turn_s", 30, 1, 600)),
        };
        var preRoll = TimeSpan.FromMilliseconds(turns.Int("preroll_ms", 400, 0, 2_000));
        bool bargeIn = turns.Bool("barge_in", true);

        var asr = top.Section("asr");
        string asrEngine = asr.Choice("engine", "pocketsphinx", AsrEngines);
        var ps = asr.Section("pocketsphinx");
        var whisper = asr.Section("whisper");
        var asrConfig = new AsrConfig(asrEngine,
            ps.PathValue("model_dir", global::EdgeVoice.Transceiver.Asr.PocketSphinxRecognizer.DefaultModelDirectory)!,
            ps.PathValue("grammar", null),
            whisper.PathValue("model", null),
            whisper.Required("language", "en"),
            whisper.Int("threads", 2, 1, 64));

        var agent = top.Section("agent");
        var openai = agent.Section("openai");
        var agentConfig = new AgentConfig(
            agent.Choice("engine", "echo", AgentEngines),
            HttpUrl(openai, "base_url", "https://api.openai.com/v1"),
            openai.Required("model", "gpt-4o-mini"),
            openai.Required("api_key_env", "OPENAI_API_KEY"),
            openai.Required("system_prompt", "You are a helpful voice assistant. Answer in one or two short spoken sentences."),
            openai.Int("max_history", 20, 0, 1000),
            TimeSpan.FromMilliseconds(agent.Int("first_token_timeout_ms", 10_000, 100, 600_000)),
            TimeSpan.FromMilliseconds(agent.Int("stall_timeout_ms", 5_000, 100, 600_000)),
            agent.Required("apology", "Sorry, I could not get an answer."));

        var tts = top.Section("tts");
        string ttsEngine = tts.Choice("engine", "espeak", TtsEngines);
        var espeak = tts.Section("espeak");
        var piper = tts.Section("piper");
        var ttsConfig = new TtsConfig(ttsEngine, espeak.Required("voice", "en-us+m3"), espeak.Int("rate", 140, 80, 450),
            piper.PathValue("model", null), piper.Int("speaker", 0, 0, 10_000));

        var limits = top.Section("limits");
        int maxSessions = limits.Int("max_sessions", 64, 1, 100_000);
        int maxReply = limits.Int("max_reply_chars", 2_000, 10, 1_000_000);
        var drainTimeout = TimeSpan.FromSeconds(limits.Int("drain_timeout_s", 10, 0, 600));

        var metrics = top.Section("metrics");
        string? metricsListen = metrics.String("listen", null);
        System.Net.IPEndPoint? metricsEndPoint = MetricsConfig.DefaultListen;
        if (metricsListen == "off")
            metricsEndPoint = null;
        else if (metricsListen is not null && (!System.Net.IPEndPoint.TryParse(metricsListen, out metricsEndPoint)
                     || !(metricsListen.Contains("]:") || metricsListen.Count(c => c == ':') == 1)))
            throw metrics.Error("listen", $"'{metricsListen}' is not IP:port (e.g. 127.0.0.1:9464 or [::1]:9464) or off");
        var metricsConfig = new MetricsConfig(metricsEndPoint, metricsListen is not null);

        top.ReadElsewhere("tunnel");
        top.RejectUnknown();
        var config = new TransceiverConfig(file, deviceConfig, bitrate, jitter, vadConfig, turnSettings, preRoll, bargeIn,
            asrConfig, agentConfig, ttsConfig, maxSessions, maxReply, metricsConfig) { DrainTimeout = drainTimeout };
        config.CheckModelFiles(top);
        return config;
    }

    private static string HttpUrl(YamlSection section, string key, string fallback)
    {
        string value = section.Required(key, fallback);
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw section.Error(key, $"'{value}' is not an http(s) URL");
        return value;
    }

    /// <summary>Every model file the chosen engines need must exist before any session starts.</summary>
    private void CheckModelFiles(YamlSection top)
    {
        void Need(string section, string key, string? path, string what)
        {
            var s = top.Section(section);
            var field = key.Split('.');
            foreach (var part in field[..^1]) s = s.Section(part);
            if (path is null) throw s.Error(field[^1], $"{what} is required for this engine");
            if (!File.Exists(path) && !Directory.Exists(path)) throw s.Error(field[^1], $"{what} not found: {path}");
        }
        if (Vad.Engine == "silero") Need("vad", "model", Vad.Model, "Silero VAD model (run `edgevoice-transceiver setup` to fetch it)");
        if (Asr.Engine == "pocketsphinx")
        {
            Need("asr", "pocketsphinx.model_dir", Asr.PocketSphinxModelDir, "pocketsphinx model directory (Debian package pocketsphinx-en-us)");
            if (Asr.Grammar is not null) Need("asr", "pocketsphinx.grammar", Asr.Grammar, "JSGF grammar");
        }
        if (Asr.Engine == "whisper") Need("asr", "whisper.model", Asr.WhisperModel, "Whisper ggml model");
        if (Tts.Engine == "piper")
        {
            Need("tts", "piper.model", Tts.PiperModel, "Piper voice (.onnx)");
            Need("tts", "piper.model", Tts.PiperModel + ".json", "Piper voice config (.onnx.json)");
        }
    }

    public PipelineOptions ToPipelineOptions(Pacing pacing) => new()
    {
        Pacing = pacing,
        JitterDepth = JitterDepth,
        OpusBitrate = OpusBitrate,
        Turns = Turns,
        PreRoll = PreRoll,
        BargeIn = BargeIn,
        AgentFirstTokenTimeout = Agent.FirstTokenTimeout,
        AgentStallTimeout = Agent.StallTimeout,
        Apology = Agent.Apology,
        MaxReplyChars = MaxReplyChars,
    };
}
