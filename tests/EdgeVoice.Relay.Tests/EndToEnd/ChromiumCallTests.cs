using System.Net;
using EdgeVoice.Relay.Tests.Support;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>
/// Debian's Chromium calls the relay from a web page exactly as a user's browser would:
/// getUserMedia, RTCPeerConnection, fetch for signaling; the relay echoes the caller's Opus, and
/// the page measures what it hears with WebAudio.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ChromiumCallTests(PlaywrightDriver driver, ITestOutputHelper output) : IClassFixture<PlaywrightDriver>, IDisposable
{
    private const long MinPackets = 100;   // 3 s of 20 ms Opus packets is 150
    private const double MinRms = 0.1;     // the tone is sent at RMS 0.35 (heard back at ~0.35); silence reads 0
    private const double HzTolerance = 20; // the analyser's bins are 5.9 Hz wide at 48 kHz

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("edgevoice-e2e-");
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Call_connects_echoes_the_callers_tone_and_hangs_up()
    {
        await using var relay = await RelayProcess.StartAsync(output);
        await using var site = TestPageServer.Start(relay: relay.BaseUri);
        await using var chromium = await ChromiumCaller.LaunchAsync(driver.Playwright, ToneWav.Write(_temp.FullName, 523), site.CallPage);

        var (call, heard) = await CallAndListenAsync(chromium, relayUrl: "", relay.Key);

        Assert.InRange(heard.DominantHz, 523 - HzTolerance, 523 + HzTolerance);
        await HangUpAsync(chromium, relay, call);
    }

    [Fact]
    public async Task Two_calls_at_once_each_hear_their_own_tone()
    {
        await using var relay = await RelayProcess.StartAsync(output);
        await using var site = TestPageServer.Start(relay: relay.BaseUri);
        var low = ChromiumCaller.LaunchAsync(driver.Playwright, ToneWav.Write(_temp.FullName, 440), site.CallPage);
        var high = ChromiumCaller.LaunchAsync(driver.Playwright, ToneWav.Write(_temp.FullName, 880), site.CallPage);
        await using var lowCaller = await low;
        await using var highCaller = await high;

        var calls = await Task.WhenAll(
            CallAndListenAsync(lowCaller, relayUrl: "", relay.Key),
            CallAndListenAsync(highCaller, relayUrl: "", relay.Key));

        // Each call hears its own tone and not the other's: the relay keeps sessions apart.
        Assert.NotEqual(calls[0].Call.Location, calls[1].Call.Location);
        Assert.InRange(calls[0].Heard.DominantHz, 440 - HzTolerance, 440 + HzTolerance);
        Assert.InRange(calls[1].Heard.DominantHz, 880 - HzTolerance, 880 + HzTolerance);
        await Task.WhenAll(HangUpAsync(lowCaller, relay, calls[0].Call), HangUpAsync(highCaller, relay, calls[1].Call));
    }

    [EdgeVoiceRelayFact]
    public async Task Page_calls_the_relay_cross_origin_through_its_CORS_headers()
    {
        await using var relay = await RelayProcess.StartAsync(output);
        await using var site = TestPageServer.Start(relay: null); // no same-origin proxy: fetch goes straight to the relay
        await using var chromium = await ChromiumCaller.LaunchAsync(driver.Playwright, ToneWav.Write(_temp.FullName, 523), site.CallPage);

        var (call, heard) = await CallAndListenAsync(chromium, relayUrl: relay.BaseUri.ToString().TrimEnd('/'), relay.Key);

        Assert.InRange(heard.DominantHz, 523 - HzTolerance, 523 + HzTolerance);
        await HangUpAsync(chromium, relay, call);
    }

    private async Task<(StartedCall Call, CallObservation Heard)> CallAndListenAsync(ChromiumCaller chromium, string relayUrl, string key)
    {
        StartedCall call;
        try
        {
            call = await chromium.StartCallAsync(relayUrl, key);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"the page could not start a call: {e.Message}\npage console:\n{chromium.ConsoleLog}");
        }
        output.WriteLine($"{call.Location}: connected {call.SetupMs:F1} ms after POST");
        Assert.Equal(201, call.PostStatus);
        Assert.StartsWith("/v1/calls/", call.Location);

        var heard = await chromium.ObserveAsync(call.Index);
        output.WriteLine($"{call.Location}: {heard}");
        Assert.Equal("connected", heard.ConnectionState);
        Assert.True(heard.PacketsReceived > MinPackets, $"packets received {heard.PacketsReceived} <= {MinPackets}: {heard}");
        Assert.True(heard.Rms > MinRms, $"echoed audio RMS {heard.Rms:F4} is not above silence ({MinRms}): {heard}");
        return (call, heard);
    }

    private static async Task HangUpAsync(ChromiumCaller chromium, RelayProcess relay, StartedCall call)
    {
        var result = await chromium.HangUpAsync(call.Index);
        Assert.Equal(204, result.DeleteStatus);
        Assert.Equal("closed", result.ConnectionState);
        Assert.Equal("closed", result.SignalingState);

        // The relay forgot the call: hanging up again finds nothing.
        using var again = new HttpRequestMessage(HttpMethod.Delete, new Uri(relay.BaseUri, call.Location));
        again.Headers.Authorization = new("Bearer", relay.Key);
        using var response = await Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    public void Dispose() => _temp.Delete(recursive: true);
}
