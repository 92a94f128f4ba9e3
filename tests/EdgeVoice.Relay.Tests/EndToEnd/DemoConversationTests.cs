using System.Diagnostics;
using EdgeVoice.Relay.Tests.Conversation;
using EdgeVoice.Relay.Tests.Support;
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
        string question = await SpeakAsync("what time is it");
        var browser = await ChromiumCaller.LaunchBrowserAsync(driver.Playwright, question);
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
            // The reply is spoken too: agent audio reaches the page as RTP.
            await page.WaitForFunctionAsync("() => parseInt(document.getElementById('packets').textContent) > 25", null,
                new PageWaitForFunctionOptions { Timeout = 15_000 });

            // What Chromium played: the reply's words, once the reply has ended (a second of silence after sound).
            var heard = await WaitForReplyAsync(page, TimeSpan.FromSeconds(30));
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

    private static async Task<ReceivedAudio> WaitForReplyAsync(IPage page, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var heard = await ReceivedAudio.ReadAsync(page);
            if (heard.SoundSpan() is { } span && heard.Duration - span.End >= TimeSpan.FromSeconds(1) && span.End - span.Start >= TimeSpan.FromSeconds(0.5))
                return heard;
            Assert.True(clock.Elapsed < timeout,
                $"no finished reply in Chromium's recording after {timeout.TotalSeconds} s ({heard.SoundTime.TotalSeconds:F2} s of sound in {heard.Duration.TotalSeconds:F1} s)");
            await Task.Delay(500);
        }
    }

    /// <summary>espeak-ng speech as the 48 kHz mono WAV Chromium's fake microphone wants, with silence around it.</summary>
    private async Task<string> SpeakAsync(string text)
    {
        string raw = Path.Combine(_temp.FullName, "question-22k.wav");
        string wav = Path.Combine(_temp.FullName, "question.wav");
        await RunAsync("espeak-ng", "-v", "en-us+m3", "-s", "140", "-w", raw, text);
        await RunAsync("sox", raw, "-r", "48000", "-c", "1", "-b", "16", wav, "pad", "1", "4");
        return wav;
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed: {error}");
    }

    public void Dispose() => _temp.Delete(recursive: true);
}
