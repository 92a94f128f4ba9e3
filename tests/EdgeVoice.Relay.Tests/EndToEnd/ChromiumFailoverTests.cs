using System.Diagnostics;
using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>
/// Issue 6's failover, as a browser lives it: Chromium calls the published relay's demo page, which places the call on one
/// of two <c>edgevoice-transceiver serve</c> processes; that one is SIGKILLed mid-call, and the same RTCPeerConnection
/// (one offer, never out of "connected") goes on talking with the other transceiver, whose reply Chromium plays.
/// </summary>
/// <remarks>
/// The fake microphone loops a WAV (2 s silence, "what time is it", 8 s silence): the repetition after the kill is
/// answered by the other transceiver. The kill comes once the first reply has been played in full, within the 8 s of
/// silence, so the move (at most 1.5 s) is over before the next repetition starts and no question is split between two
/// transceivers. Bound on the relay's gap_ms (last packet heard from the dead transceiver → SessionOpen on the other):
/// 900 ms dead_after plus a 25 ms check, by design, so never under 900 ms; 1.5 s allows for thread wake-ups late by
/// hundreds of milliseconds on a two-core machine shared with other test processes (as Conversation/FailoverTests).
/// The transceiver speaks only while it replies, so between replies Chromium receives no RTP at all: the silence it
/// experiences around a failover is the wait for the next question, printed beside gap_ms, not asserted on.
/// </remarks>
[Collection(EndToEndCollection.Name)]
public sealed class ChromiumFailoverTests(PlaywrightDriver driver, ITestOutputHelper output) : IClassFixture<PlaywrightDriver>, IDisposable
{
    private const string Question = "what time is it";
    private const string ReplyItem = "agent: You said what time is it.";
    private static readonly TimeSpan GapBound = TimeSpan.FromMilliseconds(1500);

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("edgevoice-chromium-failover-");

    [Fact]
    [Trait("Needs", "edgevoice-relay")]
    public async Task Chromium_keeps_its_peer_connection_and_hears_the_other_transceiver_after_the_serving_one_is_killed()
    {
        await using var rig = await ClusterRig.StartAsync(transceiverCount: 2, sessions: 1, publishedRelay: true, output: output);
        string microphone = await FakeMicrophone.QuestionAsync(_temp.FullName, Question, silenceBeforeSeconds: 2, silenceAfterSeconds: 8);
        var browser = await ChromiumBrowser.LaunchAsync(driver.Playwright, microphone);
        try
        {
            var page = await browser.NewPageAsync();
            page.Console += (_, message) => output.WriteLine($"page: {message.Text}");
            await ReceivedAudio.InstallRecorderAsync(page);
            await page.GotoAsync(rig.Http.ToString());
            await page.ClickAsync("#call");
            await WaitInPageAsync(page, "() => document.getElementById('mode').textContent === 'voice agent'", TimeSpan.FromSeconds(30));
            string callId = await page.EvaluateAsync<string>("() => location_.slice(location_.lastIndexOf('/') + 1)");
            var first = await rig.ServingAsync(callId, TimeSpan.FromSeconds(20));
            var second = rig.Transceivers.Single(t => t != first);
            await WaitInPageAsync(page, $"() => document.getElementById('transceiver').textContent === '{first.Name}'", TimeSpan.FromSeconds(10));

            // The first reply, from the first transceiver: in the page's conversation, then played in full by Chromium.
            await WaitInPageAsync(page, $"() => {RepliesJs} > 0", TimeSpan.FromSeconds(60));
            double replyShownAt = await RecordedSecondsAsync(page);
            // Starts a little before the reply's text showed, as its audio may have begun first; the previous repetition is 10 s older.
            var firstReply = await ReceivedAudio.WaitForFinishedSoundAsync(page, TimeSpan.FromSeconds(30), replyShownAt - 3);
            string heardBefore = firstReply.Transcribe(ClusterRig.Grammar);
            output.WriteLine($"before the kill Chromium heard '{heardBefore}' from {first.Name}");
            Assert.Equal("you said " + Question, heardBefore);
            string latencyBefore = await page.InnerTextAsync("#latency");
            int turnsBeforeKill = await page.EvaluateAsync<int>("() => document.querySelectorAll('#conversation li').length");
            int repliesBeforeKill = await page.EvaluateAsync<int>($"() => {RepliesJs}");

            double killedAtMs = await page.EvaluateAsync<double>("() => performance.now()");
            long killedAt = Stopwatch.GetTimestamp();
            first.Kill();
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(5)), $"{first.Name} still runs after SIGKILL");
            string opened = $"opened trace_id={callId} ";
            TimeSpan? openedAfter = null;
            Assert.True(await InProcessRelay.EventuallyAsync(() => (openedAfter ??= second.Log.Contains(opened) ? Stopwatch.GetElapsedTime(killedAt) : null) is not null,
                TimeSpan.FromSeconds(10)), $"the call was not moved to {second.Name}:\n{second.Log}");
            // The other transceiver got the conversation so far: every line the page showed is a turn of its history.
            Assert.Contains($"{opened}relay={ClusterRig.RelayName}; 1/1, moved from {first.Name} with {turnsBeforeKill} turns of history (last said: \"{Question}\")", second.Log);

            // The relay's account of the move: one failover, its gap, and the same figures in the page's transceiver event.
            var stats = await rig.FailoverAsync();
            var gap = TimeSpan.FromMilliseconds(stats.GapMillisecondsLast);
            Assert.Equal(1, stats.MovedOnFailover);
            Assert.Equal(0, stats.MovedOnDrain);
            Assert.Equal(0, stats.EndedNoTransceiver);
            Assert.InRange(gap, TimeSpan.FromMilliseconds(900), GapBound);
            string movedText = $"{second.Name} (after failover, {stats.GapMillisecondsLast} ms without a transceiver)";
            await WaitInPageAsync(page, $"() => document.getElementById('transceiver').textContent === '{movedText}'", TimeSpan.FromSeconds(10));

            // The next repetition of the question is answered by the other transceiver, and Chromium plays that reply.
            await WaitInPageAsync(page, $"() => {RepliesJs} > {repliesBeforeKill}", TimeSpan.FromSeconds(60));
            var recording = await ReceivedAudio.ReadAsync(page);
            double killedIntoRecording = (killedAtMs - recording.StartedAtMs) / 1000;
            var afterKill = await ReceivedAudio.WaitForFinishedSoundAsync(page, TimeSpan.FromSeconds(30), killedIntoRecording);
            afterKill.Save(Path.Combine(_temp.FullName, "after-failover-received.wav"));
            string heardAfter = afterKill.Transcribe(ClusterRig.Grammar);
            var replyAfter = afterKill.SoundSpan()!.Value;
            var lastSoundBefore = firstReply.SoundSpan()!.Value.End + TimeSpan.FromMilliseconds(firstReply.StartedAtMs - killedAtMs);
            output.WriteLine($"after the kill Chromium heard '{heardAfter}' from {second.Name}");
            output.WriteLine($"relay gap_ms {stats.GapMillisecondsLast} (bound {GapBound.TotalMilliseconds:F0}); {second.Name} logged the moved call "
                + $"{openedAfter!.Value.TotalMilliseconds:F0} ms after the SIGKILL");
            output.WriteLine($"Chromium's audio: the first reply ended {-lastSoundBefore.TotalMilliseconds:F0} ms before the kill; the reply on {second.Name} "
                + $"began {replyAfter.Start.TotalMilliseconds:F0} ms after it (waiting for the next repetition of the question); "
                + $"silence between the replies {(replyAfter.Start - lastSoundBefore).TotalMilliseconds:F0} ms");
            output.WriteLine($"reply latency (page): on {first.Name} {latencyBefore}; on {second.Name} {await page.InnerTextAsync("#latency")}");
            output.WriteLine(string.Join('\n', second.Log.Split('\n').Where(line => line.Contains(callId))));
            Assert.Equal("you said " + Question, heardAfter);
            // Its words came from the other transceiver: the killed one is gone, and this one logged the turn.
            Assert.Contains($"reply trace_id={callId}: You said {Question}.", second.Log);

            // One peer connection for the whole call: one offer, connected throughout, one remote track; the relay saw one call.
            Assert.Equal(1, await page.EvaluateAsync<int>("() => window.edgeVoiceRecorder.connectionHistory().length"));
            Assert.Equal(new[] { "new", "connecting", "connected" }, await page.EvaluateAsync<string[]>("() => window.edgeVoiceRecorder.connectionHistory()[0]"));
            Assert.Equal(new[] { 1 }, await page.EvaluateAsync<int[]>("() => window.edgeVoiceRecorder.offers()"));
            Assert.Equal(1, await page.EvaluateAsync<int>("() => window.edgeVoiceRecorder.count()"));
            Assert.Equal(1, (await rig.StatsAsync()).CallsConnected);

            await page.ClickAsync("#hangup");
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    /// <summary>How many times the page's conversation shows the agent's reply to the question.</summary>
    private const string RepliesJs = $"[...document.querySelectorAll('#conversation li')].filter(li => li.textContent === '{ReplyItem}').length";

    private static Task WaitInPageAsync(IPage page, string condition, TimeSpan timeout) =>
        page.WaitForFunctionAsync(condition, null, new PageWaitForFunctionOptions { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 50 });

    private static async Task<double> RecordedSecondsAsync(IPage page) =>
        (await page.EvaluateAsync<RecordedLength>("() => window.edgeVoiceRecorder.info(-1)")).Seconds;

    public void Dispose() => _temp.Delete(recursive: true);

    private sealed class RecordedLength
    {
        public double Seconds { get; set; }
    }
}
