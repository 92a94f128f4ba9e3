using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Transceiver.Turns;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class RobustnessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Malformed_frames_are_concealed_and_the_call_goes_on()
    {
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), PipelineTests.Offline, output.WriteLine);
        var caller = new OfflineCaller(pipeline);
        var random = new Random(3);
        for (int i = 0; i < 100; i++)
        {
            var junk = new byte[random.Next(0, 200)];
            random.NextBytes(junk);
            await caller.SendPayloadAsync(junk);
        }
        await caller.SpeakAsync(Speech.Say("what day is it"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        await caller.FinishAsync();
        Assert.True(pipeline.MalformedFrames > 50, $"{pipeline.MalformedFrames} malformed");
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.FinalTranscript && e.Text == "what day is it");
        Assert.NotEmpty(caller.Frames);
    }

    [Fact]
    public async Task Random_frames_with_random_sequence_numbers_never_break_the_session()
    {
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), PipelineTests.Offline);
        var caller = new OfflineCaller(pipeline);
        var random = new Random(17);
        for (int i = 0; i < 2000; i++)
        {
            var payload = new byte[random.Next(0, 300)];
            random.NextBytes(payload);
            await caller.SendRawAsync(new MediaFrame((ushort)random.Next(0, 65536), (uint)random.Next(), payload));
        }
        await caller.FinishAsync();
        Assert.True(pipeline.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Empty_call_and_silence_produce_no_turn()
    {
        await using (var empty = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), PipelineTests.Offline))
        {
            var caller = new OfflineCaller(empty);
            await caller.FinishAsync();
            Assert.Empty(caller.Frames);
            Assert.Empty(caller.Events);
        }
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), PipelineTests.Offline);
        var silent = new OfflineCaller(pipeline);
        await silent.SpeakAsync(new short[16_000 * 2], 16_000);
        await silent.SpeakAsync([], 16_000);
        await silent.FinishAsync();
        Assert.Empty(silent.Frames);
        Assert.DoesNotContain(silent.Events, e => e.Kind == PipelineEventKind.FinalTranscript);
    }

    [Fact]
    public async Task No_pre_roll_and_no_barge_in_are_valid_settings()
    {
        var options = PipelineTests.Offline with { PreRoll = TimeSpan.Zero, BargeIn = false };
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), options);
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(Speech.Say("tell me a joke"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        await caller.FinishAsync();
        Assert.Single(caller.Events, e => e.Kind == PipelineEventKind.FinalTranscript);
        Assert.DoesNotContain(caller.Events, e => e.State == SessionState.Interrupted);
        Assert.NotEmpty(caller.Frames);
    }

    [Fact]
    public async Task A_very_long_turn_is_cut_and_the_session_survives()
    {
        var options = PipelineTests.Offline with { Turns = PipelineTests.Offline.Turns with { MaxTurn = TimeSpan.FromSeconds(3) } };
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), options, output.WriteLine);
        var caller = new OfflineCaller(pipeline);
        // Eight seconds of unbroken speech-like noise.
        await caller.SpeakAsync(Signals.SpeechLikeNoise(TimeSpan.FromSeconds(8)), 16_000);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
        // Silence until every turn the noise started is over and the pipeline is idle, so the question is a turn of its own
        // and nothing of the noise is still in flight when it starts (under load the noise's tail took long to clear).
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60)));
        await caller.SpeakAsync(Speech.Say("open the door"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60)));
        await caller.FinishAsync();
        foreach (var e in caller.Events.Where(e => e.Kind is PipelineEventKind.FinalTranscript or PipelineEventKind.TurnError))
            output.WriteLine($"{e.Kind}: {e.Text}");
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.TurnError && e.Text!.Contains("maximum length"));
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.FinalTranscript && e.Text == "open the door");
    }
}

public sealed class ImpairmentTests(ITestOutputHelper output)
{
    /// <summary>A synthesizer that always fails, to show a broken TTS ends the turn, not the session.</summary>
    private sealed class BrokenSynthesizer : ISpeechSynthesizer
    {
        public string Name => "broken";
        public int SampleRate => 16_000;
        public Task<short[]> SynthesizeAsync(string text, CancellationToken cancellationToken) => throw new InvalidOperationException("voice file is corrupt");
        public void Dispose() { }
    }

    [Fact]
    public async Task Reordered_and_lost_frames_are_ordered_recovered_and_still_understood()
    {
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), PipelineTests.Offline, output.WriteLine);
        var caller = new OfflineCaller(pipeline, expectedLossPercent: 10);
        var frames = caller.Encode(Speech.Say("where are you from"), EspeakNg.SampleRate);
        // Swap every pair of neighbours (network reordering) and lose every 11th frame.
        for (int i = 0; i + 1 < frames.Count; i += 2) (frames[i], frames[i + 1]) = (frames[i + 1], frames[i]);
        for (int i = 0; i < frames.Count; i++)
            if (i % 11 != 5) await caller.SendRawAsync(frames[i]);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        await caller.FinishAsync();
        output.WriteLine($"recovered from FEC {pipeline.RecoveredFrames}, concealed {pipeline.ConcealedFrames}");
        Assert.True(pipeline.RecoveredFrames > 0);
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.FinalTranscript && e.Text == "where are you from");
    }

    [Fact]
    public async Task A_broken_synthesizer_ends_the_turn_not_the_session()
    {
        var engines = PipelineTests.EmbeddedDefault() with { Tts = new BrokenSynthesizer() };
        await using var pipeline = VoicePipeline.Start(engines, PipelineTests.Offline);
        var caller = new OfflineCaller(pipeline);
        foreach (var q in new[] { "what day is it", "set an alarm" })
        {
            await caller.SpeakAsync(Speech.Say(q), EspeakNg.SampleRate);
            Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        }
        await caller.FinishAsync();
        Assert.Equal(2, caller.Events.Count(e => e.Kind == PipelineEventKind.FinalTranscript));
        Assert.Equal(2, caller.Events.Count(e => e.Kind == PipelineEventKind.TurnError && e.Text == "speech synthesis failed: broken: voice file is corrupt"));
        Assert.Equal(2, caller.Events.Count(e => e.Kind == PipelineEventKind.TurnError && e.Text!.Contains("apology could not be spoken")));
        Assert.Empty(caller.Frames);
        Assert.True(pipeline.Completion.IsCompletedSuccessfully);
    }
}
