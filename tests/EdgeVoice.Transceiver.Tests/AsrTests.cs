using EdgeVoice.Transceiver.Asr;

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
}
