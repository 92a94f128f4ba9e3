using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>The README's demo as a person uses it: open the relay's page, press Call, hear the echo, press Hang up.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class DemoPageTests(PlaywrightDriver driver, ITestOutputHelper output) : IClassFixture<PlaywrightDriver>, IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("edgevoice-demo-");

    [EdgeVoiceRelayFact]
    public async Task Demo_page_calls_with_a_client_token_hears_packets_and_hangs_up()
    {
        await using var relay = await RelayProcess.StartAsync(output);
        var browser = await ChromiumBrowser.LaunchAsync(driver.Playwright, ToneWav.Write(_temp.FullName, 600));
        try
        {
            var page = await browser.NewPageAsync();
            page.Console += (_, message) => output.WriteLine($"page: {message.Text}");
            await page.GotoAsync(relay.BaseUri.ToString());
            await page.ClickAsync("#call");
            await page.WaitForFunctionAsync("() => document.getElementById('state').textContent === 'connected'", null,
                new PageWaitForFunctionOptions { Timeout = 15_000 });
            // Packets in / out are shown as "<in> / <out>"; wait until the echo has brought back a second of audio.
            await page.WaitForFunctionAsync("() => parseInt(document.getElementById('packets').textContent) > 50", null,
                new PageWaitForFunctionOptions { Timeout = 15_000 });
            string setup = await page.InnerTextAsync("#setup");
            output.WriteLine($"demo page: setup {setup}, packets {await page.InnerTextAsync("#packets")}");
            Assert.EndsWith("ms", setup);

            await page.ClickAsync("#hangup");
            await page.WaitForFunctionAsync("() => document.getElementById('state').textContent === 'ended'", null,
                new PageWaitForFunctionOptions { Timeout = 10_000 });
        }
        finally
        {
            await browser.CloseAsync();
        }
    }

    public void Dispose() => _temp.Delete(recursive: true);
}
