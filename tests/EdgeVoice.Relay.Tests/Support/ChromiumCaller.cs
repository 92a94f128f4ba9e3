using EdgeVoice.Testing;
using Microsoft.Playwright;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>
/// Debian's Chromium, headless under Playwright, with a WAV file as its microphone, on the test
/// page (tests/clients/call.html). The calls themselves run in the page's JavaScript (call.js).
/// </summary>
public sealed class ChromiumCaller : IAsyncDisposable
{
    private readonly IBrowser _browser;
    private readonly List<string> _console = [];

    private ChromiumCaller(IBrowser browser, IPage page)
    {
        _browser = browser;
        Page = page;
        page.Console += (_, message) => { lock (_console) { _console.Add($"[{message.Type}] {message.Text}"); } };
        page.PageError += (_, error) => { lock (_console) { _console.Add($"[pageerror] {error}"); } };
    }

    public IPage Page { get; }

    /// <summary>What the page logged, for failure messages.</summary>
    public string ConsoleLog
    {
        get { lock (_console) { return string.Join('\n', _console); } }
    }

    /// <param name="record">Record what the page plays of each remote audio track (<see cref="ReceivedAudio.ReadAsync"/>).</param>
    public static async Task<ChromiumCaller> LaunchAsync(IPlaywright playwright, string microphoneWav, Uri page, bool record = false)
    {
        var browser = await ChromiumBrowser.LaunchAsync(playwright, microphoneWav);
        try
        {
            var tab = await browser.NewPageAsync();
            var caller = new ChromiumCaller(browser, tab);
            if (record)
                await ReceivedAudio.InstallRecorderAsync(tab);
            await tab.GotoAsync(page.ToString());
            await tab.WaitForFunctionAsync("() => window.edgeVoice !== undefined");
            return caller;
        }
        catch
        {
            await browser.CloseAsync();
            throw;
        }
    }

    /// <summary>Starts a call from the page: offer to {relayUrl}/v1/calls ('' = the page's own origin), answer, connected.</summary>
    public Task<StartedCall> StartCallAsync(string relayUrl, string key) =>
        Page.EvaluateAsync<StartedCall>("args => window.edgeVoice.startCall(args)", new { relayUrl, key });

    public Task<CallObservation> ObserveAsync(int index, int durationMs = 3000, int settleMs = 500) =>
        Page.EvaluateAsync<CallObservation>("args => window.edgeVoice.observe(args)", new { index, durationMs, settleMs });

    public Task<HangUpResult> HangUpAsync(int index) =>
        Page.EvaluateAsync<HangUpResult>("args => window.edgeVoice.hangUp(args)", new { index });

    public async ValueTask DisposeAsync() => await _browser.CloseAsync();
}

public sealed class StartedCall
{
    public int Index { get; set; }
    public double SetupMs { get; set; }
    public string Location { get; set; } = "";
    public int PostStatus { get; set; }
}

public sealed class CallObservation
{
    public string ConnectionState { get; set; } = "";
    public long PacketsReceived { get; set; }
    public double TotalAudioEnergy { get; set; }
    public double Rms { get; set; }
    public double RmsMax { get; set; }
    public double DominantHz { get; set; }
    public int Reads { get; set; }

    public override string ToString() =>
        $"state={ConnectionState} packets={PacketsReceived} rms={Rms:F4} (max {RmsMax:F4}) dominant={DominantHz:F1} Hz reads={Reads} energy={TotalAudioEnergy:F3}";
}

public sealed class HangUpResult
{
    public int DeleteStatus { get; set; }
    public string ConnectionState { get; set; } = "";
    public string SignalingState { get; set; } = "";
}
