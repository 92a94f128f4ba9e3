using System.Runtime.CompilerServices;
using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class BargeInTests(ITestOutputHelper output)
{
    /// <summary>Answers with several sentences, streamed token by token, so there is time to interrupt it.</summary>
    private sealed class LongWindedAgent : IAgent
    {
        public string Name => "long";
        public async IAsyncEnumerable<string> ReplyAsync(string userText, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (int i = 0; i < 3; i++)
            {
                foreach (var word in "This is a rather long answer that goes on and on. ".Split(' '))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await Task.Yield();
                    yield return word + " ";
                }
            }
        }
        public void TakePriorTurns(IReadOnlyList<EdgeVoice.Tunnel.Control.ConversationTurn> turns) { } // answers the same whatever came before
        public void Dispose() { }
    }

    /// <summary>First reply: one sentence, then hangs ignoring cancellation. Later replies: normal.</summary>
    private sealed class StubbornAgent : IAgent
    {
        private int _calls;
        public string Name => "stubborn";
        public async IAsyncEnumerable<string> ReplyAsync(string userText, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                yield return "This is a rather long answer that goes on and on. ";
                await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
            }
            yield return "Fine.";
        }
        public void TakePriorTurns(IReadOnlyList<EdgeVoice.Tunnel.Control.ConversationTurn> turns) { } // answers the same whatever came before
        public void Dispose() { }
    }

    [Fact]
    public async Task An_agent_that_ignores_cancellation_is_abandoned_after_a_bounded_wait()
    {
        var options = PipelineTests.Offline with { InterruptWait = TimeSpan.FromMilliseconds(200) };
        var log = new List<string>();
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(new StubbornAgent()), options, l => { lock (log) log.Add(l); });
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(Speech.Say("what time is it"), EspeakNg.SampleRate);
        var silence = new short[960];
        for (int i = 0; i < 500 && pipeline.State != SessionState.Speaking; i++) await caller.SendAsync(silence);
        for (int i = 0; i < 25; i++) await caller.SendAsync(silence);
        await caller.SpeakAsync(Speech.Say("turn on the lights"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
        await caller.FinishAsync();
        var finals = caller.Events.Where(e => e.Kind == PipelineEventKind.FinalTranscript).ToList();
        Assert.Equal(2, finals.Count);
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.AgentText && e.TurnId == finals[1].TurnId && e.Text == "Fine.");
        lock (log) Assert.Contains(log, l => l.Contains("did not stop within") && l.Contains("abandoned"));
    }

    [Fact]
    public async Task Caller_speech_during_agent_speech_stops_agent_audio_within_one_frame()
    {
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(new LongWindedAgent()), PipelineTests.Offline, output.WriteLine);
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(Speech.Say("what time is it"), EspeakNg.SampleRate);
        var silence = new short[960];
        for (int i = 0; i < 500 && pipeline.State != SessionState.Speaking; i++) await caller.SendAsync(silence);
        Assert.Equal(SessionState.Speaking, pipeline.State);
        for (int i = 0; i < 25; i++) await caller.SendAsync(silence); // half a second of agent speech
        int bargeInFrame = caller.FramesSent;
        await caller.SpeakAsync(Speech.Say("turn on the lights"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
        await caller.FinishAsync();

        var interrupted = Assert.Single(caller.Events, e => e.State == SessionState.Interrupted);
        var first = caller.Frames.Where(f => f.TurnId == interrupted.TurnId).ToList();
        var after = first.Count(f => f.At > interrupted.At);
        output.WriteLine($"barge-in at {interrupted.At.TotalMilliseconds} ms (caller speech from ~{bargeInFrame * 20 - 60} ms); turn-1 frames {first.Count}, after interruption {after}");
        output.WriteLine($"turn-1 frames from {first.Min(f => f.At)} to {first.Max(f => f.At)}; events:\n" + string.Join("\n", caller.Events));
        Assert.True(after <= 1, $"{after} agent frames after the interruption");
        // It was really speaking up to the interruption, and far from finished (3 long sentences).
        Assert.True(first.Max(f => f.At) >= interrupted.At - TimeSpan.FromMilliseconds(40));
        Assert.InRange(first.Count, 25, 300);
        // The interrupting words became the next turn, and got their own answer.
        var finals = caller.Events.Where(e => e.Kind == PipelineEventKind.FinalTranscript).ToList();
        Assert.Equal(2, finals.Count);
        Assert.Equal("turn on the lights", finals[1].Text);
        Assert.Contains(caller.Frames, f => f.TurnId == finals[1].TurnId);
        Assert.True(pipeline.DroppedAgentFrames > 0);
    }
}
