using EdgeVoice.Transceiver.Configuration;

namespace EdgeVoice.Transceiver.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void Shipped_config_loads_with_the_embedded_engines()
    {
        var config = TransceiverConfig.Load(Speech.RepoFile("configs/transceiver.yaml"));
        Assert.Equal("pocketsphinx", config.Asr.Engine);
        Assert.Equal("echo", config.Agent.Engine);
        Assert.Equal("espeak", config.Tts.Engine);
        Assert.Equal(Speech.Grammar, config.Asr.Grammar);
        Assert.Equal(TimeSpan.FromMilliseconds(600), config.Turns.EndOfTurnSilence);
    }

    [Fact]
    public void Empty_document_gives_defaults()
    {
        var config = TransceiverConfig.Parse("t.yaml", "");
        Assert.Equal("energy", config.Vad.Engine);
        Assert.Equal(32_000, config.OpusBitrate);
    }

    public static TheoryData<string, int, string, string> BadConfigs => new()
    {
        { "turns:\n  end_silence_ms: fast\n", 2, "turns.end_silence_ms", "not a whole number" },
        { "turns:\n  end_silence_ms: 5\n", 2, "turns.end_silence_ms", "outside" },
        { "vad:\n  engine: magic\n", 2, "vad.engine", "not one of" },
        { "vad:\n  activation: 0.3\n  deactivation: 0.5\n", 3, "vad.deactivation", "must not exceed" },
        { "asr:\n  pocketsphinx:\n    grammar: /nonexistent/demo.gram\n", 3, "asr.pocketsphinx.grammar", "/nonexistent/demo.gram" },
        { "tts:\n  espeak:\n    voise: en\n", 3, "tts.espeak.voise", "unknown setting" },
        { "device:\n  kind: tpu\n", 2, "device.kind", "not one of" },
        { "opus: [1, 2]\n", 1, "opus", "expected a mapping" },
        { "turns:\n  barge_in: maybe\n", 2, "turns.barge_in", "not true or false" },
        { "a: b: c\n", 1, "(syntax)", "" },
        { "asr:\n  engine: whisper\n", 2, "asr.whisper.model", "Whisper ggml model is required" },
        { "asr:\n  engine: whisper\n  whisper:\n    model: /nonexistent/ggml.bin\n", 4, "asr.whisper.model", "not found: /nonexistent/ggml.bin" },
        { "vad:\n  engine: silero\n  model: /nonexistent/silero.onnx\n", 3, "vad.model", "not found: /nonexistent/silero.onnx" },
        { "metrics:\n  listen: 9464\n", 2, "metrics.listen", "is not IP:port" },
        { "metrics:\n  listen: localhost:9464\n", 2, "metrics.listen", "is not IP:port" },
        { "metrics:\n  listen: 127.0.0.1:99999\n", 2, "metrics.listen", "is not IP:port" },
        { "metrics:\n  port: 9464\n", 2, "metrics.port", "unknown setting" },
    };

    [Theory]
    [InlineData("", "127.0.0.1:9464", false)]
    [InlineData("metrics:\n  listen: off\n", null, true)]
    [InlineData("metrics:\n  listen: 0.0.0.0:9100\n", "0.0.0.0:9100", true)]
    [InlineData("metrics:\n  listen: \"[::1]:9464\"\n", "[::1]:9464", true)]
    public void Metrics_listen_defaults_to_loopback_and_can_be_moved_or_off(string yaml, string? listen, bool explicitly)
    {
        var metrics = TransceiverConfig.Parse("m.yaml", yaml).Metrics!;
        Assert.Equal(listen, metrics.Listen?.ToString());
        Assert.Equal(explicitly, metrics.Explicit);
    }

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void Errors_name_file_line_and_field(string yaml, int line, string field, string message)
    {
        var e = Assert.Throws<ConfigurationException>(() => TransceiverConfig.Parse("bad.yaml", yaml));
        Assert.Equal("bad.yaml", e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains(message, e.Message);
        Assert.StartsWith($"bad.yaml:{line}: {field}: ", e.Message);
    }

    [Fact]
    public void Missing_file_is_reported_with_its_path()
    {
        var e = Assert.Throws<ConfigurationException>(() => TransceiverConfig.Load("/nonexistent/transceiver.yaml"));
        Assert.Contains("/nonexistent/transceiver.yaml", e.Message);
    }

    [Fact]
    public void Random_yaml_never_throws_anything_but_configuration_errors()
    {
        var random = new Random(11);
        const string alphabet = "abcdefgh:-[]{} \n\"'#&*!|>0123456789.";
        for (int i = 0; i < 2000; i++)
        {
            var chars = new char[random.Next(0, 60)];
            for (int j = 0; j < chars.Length; j++) chars[j] = alphabet[random.Next(alphabet.Length)];
            try { TransceiverConfig.Parse("fuzz.yaml", new string(chars)); }
            catch (ConfigurationException) { }
        }
    }
}
