using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class WhisperTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Tiny_random_ggml_model_loads_and_decodes_espeak_audio()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgevoice-tiny-whisper-{Environment.ProcessId}.bin");
        TinyWhisperModel.Write(path, seed: 1234);
        try
        {
            output.WriteLine($"model: {new FileInfo(path).Length / 1e6:F1} MB");
            var log = new List<string>();
            using var whisper = new WhisperRecognizer(path, "en", threads: 2, log.Add);
            whisper.StartUtterance();
            whisper.AcceptAudio(PolyphaseResampler.Convert(Speech.Say("what time is it"), EspeakNg.SampleRate, 16_000));
            Assert.Null(whisper.Partial());
            string text = await whisper.FinishAsync(CancellationToken.None);
            foreach (var line in log) output.WriteLine(line);
            output.WriteLine($"random-weight transcript: '{text}'");
            Assert.Contains(log, l => l.Contains("loaded on the") && l.Contains("runtime"));
            // Random weights say nothing meaningful, but a full decode ran and returned (capped at 32 tokens).
            Assert.True(text.Length < 32 * 12);
            // A second utterance on the same processor works too; silence-only input too.
            whisper.StartUtterance();
            whisper.AcceptAudio(new short[16_000]);
            await whisper.FinishAsync(CancellationToken.None);
            Assert.Equal(string.Empty, await whisper.FinishAsync(CancellationToken.None));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_model_is_reported_with_its_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => new WhisperRecognizer("/nonexistent/ggml-base.bin", "en", 1, _ => { }));
        Assert.Contains("/nonexistent/ggml-base.bin", e.Message);
    }
}
