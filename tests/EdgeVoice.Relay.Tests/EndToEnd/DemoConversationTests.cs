using System.Diagnostics;
using EdgeVoice.Relay.Tests.Conversation;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>
/// The demo as a person uses it with a voice agent: Chromium opens the published relay's page, presses Call and asks
/// an espeak-ng question from a WAV; the question travels relay → tunnel → transceiver, and the page shows the
/// transcript and the agent's reply from the call's events while the reply audio streams back; what Chromium plays of
/// that audio, recorded in the page and run through pocketsphinx, is the reply's words.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DemoConversationTests(PlaywrightDriver driver, ITestOutputHelper output) : IClassFixture<PlaywrightDriver>, IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("edgevoice-demo-conversation-");

    [Fact]
    [Trait("Needs", "edgevoice-relay")]
    public async Task Chromium_asks_a_question_and_the_page_shows_transcript_and_reply()
    {
        await using var rig = await ConversationRig.StartAsync(publishedRelay: true, output: output);
        string question = await FakeMicrophone.QuestionAsync(_temp.FullName, "what time is it", silenceBeforeSeconds: 1, silenceAfterSeconds: 4);
        var browser = await ChromiumBrowser.LaunchAsync(driver.Playwright, question);
        try
        {
            var page = await browser.NewPageAsync();
            page.Console += (_, message) => output.WriteLine($"page: {message.Text}");
            await ReceivedAudio.InstallRecorderAsync(page);
            await page.GotoAsync(rig.Http.ToString());
            await page.ClickAsync("#call");
            await page.WaitForFunctionAsync("() => document.getElementById('mode').textContent === 'voice agent'", null,
                new PageWaitForFunctionOptions { Timeout = 20_000 });
            await page.WaitForFunctionAsync(
                "() => [...document.querySelectorAll('#conversation li')].some(li => li.textContent === 'agent: You said what time is it.')",
                null, new PageWaitForFunctionOptions { Timeout = 40_000 });
            string conversation = await page.InnerTextAsync("#conversation");
            output.WriteLine(conversation);
            Assert.Contains("you: what time is it", conversation);
            // The page names the call's transceiver and shows the turn's latency figures from the call's events.
            Assert.Equal("gpu-1", await page.InnerTextAsync("#transceiver"));
            await page.WaitForFunctionAsync("() => /^\\d+ ms to first audio \\(ASR \\d+ ms, agent \\d+ ms, TTS \\d+ ms\\)$/.test(document.getElementById('latency').textContent)",
                null, new PageWaitForFunctionOptions { Timeout = 10_000 });
            output.WriteLine($"page: transceiver {await page.InnerTextAsync("#transceiver")}, last reply {await page.InnerTextAsync("#latency")}");
            // The reply is spoken too: agent audio reaches the page as RTP.
            await page.WaitForFunctionAsync("() => parseInt(document.getElementById('packets').textContent) > 25", null,
                new PageWaitForFunctionOptions { Timeout = 15_000 });

            // What Chromium played: the reply's words, once the reply has ended (a second of silence after sound).
            var heard = await ReceivedAudio.WaitForFinishedSoundAsync(page, TimeSpan.FromSeconds(30));
            heard.Save(Path.Combine(_temp.FullName, "received.wav"));
            string words = heard.Transcribe(ConversationRig.Grammar);
            output.WriteLine($"Chromium heard '{words}' ({heard.SoundTime.TotalSeconds:F2} s of sound in {heard.Duration.TotalSeconds:F1} s recorded)");
            Assert.Equal("you said what time is it", words);
            await page.ClickAsync("#hangup");
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    /// <summary>
    /// The only transceiver vanishes mid-call (its tunnel's UDP cable is cut): Chromium plays the relay's spoken notice,
    /// and then the relay ends the call, which the page's RTCPeerConnection sees.
    /// </summary>
    [Fact]
    [Trait("Needs", "edgevoice-relay")]
    public async Task Chromium_hears_the_spoken_notice_when_the_only_transceiver_vanishes()
    {
        await using var rig = await ConversationRig.StartAsync(publishedRelay: true, output: output, throughCables: true);
        // A silent microphone: the agent has nothing to answer, so the notice is all the caller hears.
        string silence = await FakeMicrophone.SilenceAsync(_temp.FullName, 3);
        var browser = await ChromiumBrowser.LaunchAsync(driver.Playwright, silence);
        try
        {
            var page = await browser.NewPageAsync();
            page.Console += (_, message) => output.WriteLine($"page: {message.Text}");
            await ReceivedAudio.InstallRecorderAsync(page);
            await page.GotoAsync(rig.Http.ToString());
            await page.ClickAsync("#call");
            await page.WaitForFunctionAsync("() => document.getElementById('mode').textContent === 'voice agent'", null,
                new PageWaitForFunctionOptions { Timeout = 20_000 });
            await page.WaitForFunctionAsync("() => window.edgeVoiceRecorder.connectionStates()[0] === 'connected' && window.edgeVoiceRecorder.count() === 1",
                null, new PageWaitForFunctionOptions { Timeout = 20_000 });

            double cutAtMs = await page.EvaluateAsync<double>("() => performance.now()");
            rig.Cables[0].Cut();
            var heard = await ReceivedAudio.WaitForFinishedSoundAsync(page, TimeSpan.FromSeconds(30));
            // The relay learns of the loss from its liveness pings: dead_after (3 s in ConversationRig) after it last heard the
            // transceiver, which is at most one ping interval (250 ms) before the cut.
            var noticeAfter = TimeSpan.FromMilliseconds(heard.StartedAtMs - cutAtMs) + heard.SoundSpan()!.Value.Start;
            output.WriteLine($"the notice began {noticeAfter.TotalSeconds:F2} s after the cut (recording started {heard.StartedAtMs - cutAtMs:F0} ms from it)");
            Assert.InRange(noticeAfter, TimeSpan.FromMilliseconds(2700), TimeSpan.FromSeconds(10));
            heard.Save(Path.Combine(_temp.FullName, "notice-received.wav"));
            string words = heard.Transcribe(EdgeVoice.Relay.Tests.Notices.NoticeAudioTests.Grammar);
            output.WriteLine($"Chromium heard '{words}' ({heard.SoundTime.TotalSeconds:F2} s of sound in {heard.Duration.TotalSeconds:F1} s recorded)");
            Assert.Equal("sorry no agent is available please call again later", words);
            // RTCP BYE and DTLS close_notify end the call for the browser too.
            await page.WaitForFunctionAsync("() => window.edgeVoiceRecorder.connectionStates()[0] !== 'connected'", null,
                new PageWaitForFunctionOptions { Timeout = 15_000 });
            output.WriteLine($"connection state after the notice: {await page.EvaluateAsync<string>("() => window.edgeVoiceRecorder.connectionStates()[0]")}");
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    public void Dispose() => _temp.Delete(recursive: true);
}
