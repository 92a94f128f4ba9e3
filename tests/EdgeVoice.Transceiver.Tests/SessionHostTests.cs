using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;

namespace EdgeVoice.Transceiver.Tests;

public sealed class SessionHostTests
{
    [Fact]
    public async Task Sessions_are_limited_by_max_sessions_and_slots_come_back()
    {
        var config = TransceiverConfig.Parse("host.yaml", "limits:\n  max_sessions: 2\n");
        var host = new SessionHost(config, _ => { });
        Assert.True(host.TryOpen(Pacing.Offline, out var a, out _));
        Assert.True(host.TryOpen(Pacing.Offline, out var b, out _));
        Assert.False(host.TryOpen(Pacing.Offline, out var c, out var refusal));
        Assert.Null(c);
        Assert.Contains("limits.max_sessions in host.yaml", refusal);
        await a!.DisposeAsync();
        await a.DisposeAsync();
        Assert.Equal(1, host.ActiveSessions);
        Assert.True(host.TryOpen(Pacing.Offline, out var d, out _));
        await b!.DisposeAsync();
        await d!.DisposeAsync();
        Assert.Equal(0, host.ActiveSessions);
    }

    [Fact]
    public async Task Real_time_pacing_answers_while_frames_keep_flowing()
    {
        var options = PipelineTests.Offline with { Pacing = Pacing.RealTime };
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), options);
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(Speech.Say("call my mother"), EspeakNg.SampleRate);
        // Live pacing never waits for models: keep sending silence (2 ms apart, 10× real time) until the reply has played.
        var silence = new short[960];
        for (int i = 0; i < 1500 && !(caller.Events.Any(e => e.State == SessionState.Speaking) && pipeline.IsIdle); i++)
        {
            await caller.SendAsync(silence);
            await Task.Delay(2);
        }
        await caller.FinishAsync();
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.FinalTranscript && e.Text == "call my mother");
        Assert.Equal("you said call my mother", Speech.Transcribe(caller.DecodeAgentAudio(), 48_000, Speech.Grammar));
    }
}
