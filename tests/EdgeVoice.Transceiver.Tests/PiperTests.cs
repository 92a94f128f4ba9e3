using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class PiperTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgevoice-piper").FullName;

    [Fact]
    public async Task Tiny_voice_phonemizes_with_espeak_and_returns_the_audio_its_graph_implies()
    {
        string model = TinyPiperVoice.Create(_dir);
        var log = new List<string>();
        var onnx = new OnnxSessionFactory(new DeviceConfig("cpu", 0), log.Add);
        using var piper = new PiperSynthesizer(onnx.Open(model), PiperVoiceConfig.Load(model + ".json"), 0, log.Add);
        Assert.Equal(TinyPiperVoice.SampleRate, piper.SampleRate);

        var ids = piper.PhonemeIds("Hello world.");
        output.WriteLine($"phonemes: {string.Join(' ', EspeakNg.Phonemize("Hello world.", "en-us"))}; ids: {string.Join(',', ids)}");
        Assert.Equal(1, ids[0]); // ^
        Assert.Equal(2, ids[^1]); // $
        Assert.True(ids.Length > 12);
        Assert.DoesNotContain(log, l => l.Contains("not in the voice"));

        var audio = await piper.SynthesizeAsync("Hello world.", CancellationToken.None);
        Assert.Equal(ids.Length * TinyPiperVoice.Hop, audio.Length);
        // Each hop carries its id's amplitude, normalized to full scale by the peak id: the graph saw exactly these ids.
        long peak = ids.Max();
        for (int k = 0; k < ids.Length; k++)
            Assert.InRange(audio[k * TinyPiperVoice.Hop], ids[k] * 32767 / peak - 1, ids[k] * 32767 / peak + 1);
        Assert.Contains(log, l => l.Contains("tiny-voice.onnx runs on the CPU execution provider"));
    }

    [Fact]
    public async Task Pipeline_speaks_through_a_piper_voice()
    {
        string model = TinyPiperVoice.Create(_dir);
        var onnx = new OnnxSessionFactory(new DeviceConfig("cpu", 0), _ => { });
        var engines = PipelineTests.EmbeddedDefault() with { Tts = new PiperSynthesizer(onnx.Open(model), PiperVoiceConfig.Load(model + ".json"), 0, _ => { }) };
        await using var pipeline = VoicePipeline.Start(engines, PipelineTests.Offline);
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(Speech.Say("play some music"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        await caller.FinishAsync();
        var turn = Assert.Single(caller.Events, e => e.Kind == PipelineEventKind.FinalTranscript);
        Assert.Equal("play some music", turn.Text);
        // 16 kHz voice audio resampled to 48 kHz: three output samples per voice sample, in whole 20 ms frames.
        var ids = ((PiperSynthesizer)engines.Tts).PhonemeIds("You said play some music.");
        int expectedFrames = (ids.Length * TinyPiperVoice.Hop * 3 + 959) / 960;
        Assert.Equal(expectedFrames, caller.Frames.Count(f => f.TurnId == turn.TurnId));
    }

    public static TheoryData<string, string> BadVoiceConfigs => new()
    {
        { "{}", "audio is missing" },
        { "{\"audio\":{\"sample_rate\":22050}}", "phoneme_id_map is missing" },
        { "{\"audio\":{\"sample_rate\":22050},\"phoneme_id_map\":{\"ab\":[1]}}", "not a single code point" },
        { "{\"audio\":{\"sample_rate\":22050},\"phoneme_id_map\":{\"a\":[1]}}", "has no '_'" },
        { "{\"audio\":{\"sample_rate\":5},\"phoneme_id_map\":{}}", "not a speech sample rate" },
        { "{not json", "not a Piper voice config" },
    };

    [Theory]
    [MemberData(nameof(BadVoiceConfigs))]
    public void Bad_voice_configs_name_the_file_and_field(string json, string message)
    {
        string path = Path.Combine(_dir, "bad.onnx.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidDataException>(() => PiperVoiceConfig.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(message, e.Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
