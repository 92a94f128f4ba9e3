using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;

namespace EdgeVoice.Transceiver.Tests;

public sealed class AsrTests
{
    [Theory]
    [InlineData("what time is it", "what time is it", 0)]
    [InlineData("what time is it", "what is it", 1)]
    [InlineData("what time is it", "what a time is it", 1)]
    [InlineData("what time is it", "oh the garage floor", 4)]
    [InlineData("", "noise", 1)]
    [InlineData("What time is it?", "what time, is it", 0)]
    public void Word_errors_count_edits(string reference, string hypothesis, int errors) =>
        Assert.Equal(errors, WordErrorRate.Errors(reference, hypothesis));

    [Fact]
    public void Pocketsphinx_reports_a_missing_model_directory_with_its_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => new PocketSphinxRecognizer("/nonexistent/en-us"));
        Assert.Contains("/nonexistent/en-us", e.Message);
    }

    [Fact]
    public async Task Pocketsphinx_handles_empty_and_unstarted_utterances()
    {
        using var asr = new PocketSphinxRecognizer(grammarPath: Speech.Grammar);
        Assert.Equal(string.Empty, await asr.FinishAsync(CancellationToken.None));
        asr.AcceptAudio(new short[320]); // before StartUtterance: ignored
        asr.StartUtterance();
        asr.StartUtterance(); // restarting is allowed
        Assert.Equal(string.Empty, await asr.FinishAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Pocketsphinx_understands_a_question_after_an_utterance_of_noise()
    {
        // Three seconds of noise (a turn cut at the maximum length) once shifted the live CMN so far that the next
        // question's grammar search ended nowhere: partial "open", final "".
        using var asr = new PocketSphinxRecognizer(grammarPath: Speech.Grammar);
        asr.StartUtterance();
        asr.AcceptAudio(Signals.SpeechLikeNoise(TimeSpan.FromSeconds(3)));
        Assert.Equal(string.Empty, await asr.FinishAsync(CancellationToken.None));
        asr.StartUtterance();
        asr.AcceptAudio(PolyphaseResampler.Convert(Speech.Say("open the door"), EspeakNg.SampleRate, 16_000));
        Assert.Equal("open the door", await asr.FinishAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Pocketsphinx_channel_estimate_follows_recognized_speech_only()
    {
        using var asr = new PocketSphinxRecognizer(grammarPath: Speech.Grammar);
        var initial = asr.LiveMean();
        Assert.Equal(13, initial.Length);
        asr.StartUtterance();
        asr.AcceptAudio(Signals.SpeechLikeNoise(TimeSpan.FromSeconds(3)));
        Assert.Equal(string.Empty, await asr.FinishAsync(CancellationToken.None));
        Assert.Equal(initial, asr.LiveMean());

        // An utterance restarted before it finished is forgotten too.
        asr.StartUtterance();
        asr.AcceptAudio(Signals.SpeechLikeNoise(TimeSpan.FromSeconds(3), seed: 4));
        asr.StartUtterance();
        Assert.Equal(string.Empty, await asr.FinishAsync(CancellationToken.None));
        Assert.Equal(initial, asr.LiveMean());

        asr.StartUtterance();
        asr.AcceptAudio(PolyphaseResampler.Convert(Speech.Say("what is the weather today"), EspeakNg.SampleRate, 16_000));
        Assert.Equal("what is the weather today", await asr.FinishAsync(CancellationToken.None));
        var learned = asr.LiveMean();
        Assert.NotEqual(initial, learned);

        asr.StartUtterance();
        asr.AcceptAudio(Signals.SpeechLikeNoise(TimeSpan.FromSeconds(3)));
        Assert.Equal(string.Empty, await asr.FinishAsync(CancellationToken.None));
        Assert.Equal(learned, asr.LiveMean());
    }
}
