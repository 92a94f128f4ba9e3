using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.Conversation;

/// <summary>
/// One conversation through the published Native-AOT relay, the tunnel and a transceiver, watched the way an operator
/// watches it: both tiers' Prometheus endpoints move, the call's trace id is in both tiers' logs, and the call's event
/// stream names its transceiver and each turn's latency.
/// </summary>
[Collection(EdgeVoice.Relay.Tests.EndToEnd.EndToEndCollection.Name)]
public sealed class ObservabilityTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    [Fact]
    [Trait("Needs", "edgevoice-relay")]
    public async Task A_call_shows_in_both_tiers_metrics_logs_and_events_under_one_trace_id()
    {
        await using var rig = await ConversationRig.StartAsync(transceiverSessions: 1, publishedRelay: true, output);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var caller = await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        string traceId = caller.Location.Split('/')[^1];
        var sse = new List<string>();
        var events = Task.Run(() => ReadEventsAsync(rig, caller.Location + "/events", sse, cancel.Token));

        // The question in real time as 20 ms Opus frames, silence after it, until the reply has played.
        short[] question = PolyphaseResampler.Convert(EspeakNg.Synthesize("what time is it", "en-us+m3", 140, cancel.Token), EspeakNg.SampleRate, 48_000);
        var encoder = new OpusFrameEncoder(32_000);
        var packet = new byte[OpusFrameEncoder.MaxPacketBytes];
        var frame = new short[OpusFrameDecoder.FrameSamples];
        var received = new byte[1500];
        int sent = 0, replies = 0;
        var clock = Stopwatch.StartNew();
        TimeSpan lastReply = TimeSpan.Zero;
        while (clock.Elapsed < TimeSpan.FromSeconds(25) && !(replies > 25 && clock.Elapsed - lastReply > TimeSpan.FromMilliseconds(600)))
        {
            Array.Clear(frame);
            int offset = sent * frame.Length;
            if (offset < question.Length)
                question.AsSpan(offset, Math.Min(frame.Length, question.Length - offset)).CopyTo(frame);
            caller.SendFrame(packet.AsSpan(0, encoder.Encode(frame, packet)));
            sent++;
            var slotEnd = TimeSpan.FromMilliseconds(20 * sent);
            while (clock.Elapsed < slotEnd)
            {
                var left = slotEnd - clock.Elapsed;
                if (left > TimeSpan.Zero && caller.TryReceiveFrame(left, received, out _, out _))
                {
                    replies++;
                    lastReply = clock.Elapsed;
                }
            }
        }
        Assert.True(replies > 25, $"only {replies} reply frames in {clock.Elapsed.TotalSeconds:F1} s");

        // Scraped while the call is live: both tiers' figures have moved.
        var relay = await ScrapeAsync(new Uri(rig.Http, "/metrics"), rig.ApiKey);
        Assert.Equal(1, relay.Value("edgevoice_relay_sessions", ("state", "connected")));
        Assert.True(relay.Value("edgevoice_relay_rtp_packets_total", ("direction", "in")) >= sent * 0.9);
        Assert.True(relay.Value("edgevoice_relay_rtp_packets_total", ("direction", "out")) >= replies);
        Assert.Equal(1, relay.Value("edgevoice_relay_calls_placed_total", ("transceiver", "gpu-1")));
        Assert.Equal(1, relay.Value("edgevoice_relay_transceiver_connected", ("transceiver", "gpu-1")));
        Assert.Equal(1, relay.Value("edgevoice_relay_transceiver_capacity", ("transceiver", "gpu-1")));
        double relayRtt = relay.Value("edgevoice_relay_tunnel_rtt_seconds", ("transceiver", "gpu-1"));
        // Loopback: a smoothed RTT above zero and far below a second.
        Assert.InRange(relayRtt, 1e-7, 1.0);
        Assert.True(relay.Value("edgevoice_relay_tunnel_media_frames_total", ("transceiver", "gpu-1"), ("direction", "up")) > 0);

        var transceiver = await ScrapeAsync(rig.TransceiverMetrics[0], null);
        Assert.Equal(1, transceiver.Value("edgevoice_transceiver_sessions"));
        Assert.True(transceiver.Value("edgevoice_transceiver_frames_total", ("direction", "uplink")) > 0);
        Assert.True(transceiver.Value("edgevoice_transceiver_frames_total", ("direction", "downlink")) >= replies);
        Assert.True(transceiver.Value("edgevoice_transceiver_turn_latency_seconds_count", ("figure", "reply")) >= 1);
        Assert.True(transceiver.Value("edgevoice_transceiver_stage_seconds_count", ("stage", "vad")) > 0);
        Assert.InRange(transceiver.Value("edgevoice_transceiver_tunnel_rtt_seconds", ("relay", ConversationRig.RelayName)), 1e-7, 1.0);

        await caller.HangUpAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        await events.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceiver.ActiveSessions == 0
            && rig.TransceiverLog.Any(l => l.Contains($"closed trace_id={traceId}")), TimeSpan.FromSeconds(5)));

        // The event stream named the transceiver when the call was placed, and carried the turn's latency figures.
        string stream = string.Join('\n', sse);
        Assert.Contains("event: transceiver\ndata: {\"kind\":\"transceiver\",\"text\":\"name=gpu-1;reason=placed\"", stream);
        Assert.Matches("event: latency\ndata: \\{\"kind\":\"latency\",\"text\":\"asr_ms=\\d+;agent_ms=\\d+;tts_ms=\\d+;reply_ms=\\d+\"", stream);

        // One trace id, both tiers: the relay's call id is in its own lines and in the transceiver's.
        string relayLog = rig.Process!.Log;
        var transceiverLog = rig.TransceiverLog;
        output.WriteLine(string.Join('\n', transceiverLog));
        foreach (string line in new[] { "call created", "call placed", "call connected", "call ended" })
            Assert.Contains($"{line} trace_id={traceId}", relayLog);
        // A DELETE is logged once, by the line that ends the call.
        Assert.Contains($"call ended trace_id={traceId} reason=HungUp", relayLog);
        foreach (string what in new[] { "opened", "transcript", "reply", "timing", "closed" })
            Assert.Contains(transceiverLog, l => l.Contains($"{what} trace_id={traceId}"));
        Assert.Contains(transceiverLog, l => l.Contains($"transcript trace_id={traceId}: what time is it"));
    }

    private static async Task<List<ExpositionParser.Sample>> ScrapeAsync(Uri metrics, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, metrics);
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return ExpositionParser.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task ReadEventsAsync(ConversationRig rig, string path, List<string> lines, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(rig.Http, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", rig.ApiKey);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
        while (await reader.ReadLineAsync(cancel) is { } line)
            lock (lines) lines.Add(line);
    }
}
