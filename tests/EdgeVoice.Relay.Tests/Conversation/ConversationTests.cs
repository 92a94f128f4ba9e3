using EdgeVoice.Relay.Tests.Support;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Testing;
using EdgeVoice.Tunnel.Quic;
using Xunit.Abstractions;
using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;

namespace EdgeVoice.Relay.Tests.Conversation;

/// <summary>A caller speaks through the relay and the tunnel to a transceiver and hears the agent answer.</summary>
/// <remarks>Run alone (the end-to-end collection): live pacing and speech recognition share two cores with nothing else.</remarks>
[Collection(EdgeVoice.Relay.Tests.EndToEnd.EndToEndCollection.Name)]
public sealed class ConversationTests
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private readonly ITestOutputHelper _output;

    public ConversationTests(ITestOutputHelper output) => _output = output;

    /// <param name="publishedRelay">False: the relay in-process; true: the published Native-AOT relay (artifacts/relay) as a child process.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Caller_hears_the_agent_answer_and_the_event_stream_shows_the_transcript(bool publishedRelay)
    {
        await using var rig = await ConversationRig.StartAsync(transceiverSessions: 1, publishedRelay, _output);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var caller = await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        await InProcessRelay.EventuallyAsync(() => rig.Transceiver.ActiveSessions == 1, TimeSpan.FromSeconds(5));
        Assert.Equal(1, rig.Transceiver.ActiveSessions);

        // The transceiver has one slot and it is taken: the next call is refused at signaling.
        var second = await PostOfferAsync(rig);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Contains("every connected transceiver is full", await second.Content.ReadAsStringAsync());

        var sse = new List<string>();
        var events = Task.Run(() => ReadEventsAsync(rig.Http, rig.ApiKey, caller.Location + "/events", sse, cancel.Token));

        // The question as a browser would send it: espeak-ng speech, 48 kHz, Opus in 20 ms frames, in real time.
        short[] question = PolyphaseResampler.Convert(EspeakNg.Synthesize("call my mother", "en-us+m3", 140, cancel.Token), EspeakNg.SampleRate, 48_000);
        var encoder = new OpusFrameEncoder(32_000);
        var packet = new byte[OpusFrameEncoder.MaxPacketBytes];
        var frame = new short[OpusFrameDecoder.FrameSamples];
        var reply = new List<byte[]>();
        var arrivals = new List<TimeSpan>();
        var received = new byte[1500];
        var clock = Stopwatch.StartNew();
        int sent = 0;
        TimeSpan lastReply = TimeSpan.Zero;
        while (clock.Elapsed < TimeSpan.FromSeconds(25))
        {
            Array.Clear(frame);
            int offset = sent * frame.Length;
            if (offset < question.Length)
                question.AsSpan(offset, Math.Min(frame.Length, question.Length - offset)).CopyTo(frame);
            caller.SendFrame(packet.AsSpan(0, encoder.Encode(frame, packet)));
            sent++;
            // Receive until this frame's 20 ms slot is over; silence keeps flowing, as from a browser.
            var slotEnd = TimeSpan.FromMilliseconds(20 * sent);
            while (clock.Elapsed < slotEnd)
            {
                var left = slotEnd - clock.Elapsed;
                if (left > TimeSpan.Zero && caller.TryReceiveFrame(left, received, out int length, out _))
                {
                    reply.Add(received.AsSpan(0, length).ToArray());
                    arrivals.Add(clock.Elapsed);
                    lastReply = clock.Elapsed;
                }
            }
            if (reply.Count > 25 && clock.Elapsed - lastReply > HeardOpus.ReplyOver)
                break;
        }

        string seen;
        lock (sse) seen = string.Join(" | ", sse.Where(l => l.StartsWith("data:")));
        var down = rig.Transceiver.Connections.FirstOrDefault();
        string counters = $"transceiver received {down?.MediaFramesReceived} uplink frames, dropped {rig.Transceiver.UplinkDropped}, sent {down?.MediaFramesSent} downlink; events: {seen}";
        Assert.True(reply.Count > 25, $"only {reply.Count} reply frames came back in {clock.Elapsed.TotalSeconds:F1} s after {sent} sent; {counters}");
        string heard = HeardOpus.Transcribe(reply);
        Assert.True(heard == "you said call my mother", $"heard '{heard}'; {counters}");

        // Frames leave the relay paced at 20 ms, whatever bursts the tunnel delivered them in.
        var span = arrivals[^1] - arrivals[0];
        Assert.True(span >= TimeSpan.FromMilliseconds(20 * (reply.Count - 1) * 0.8), $"{reply.Count} frames arrived within {span.TotalMilliseconds:F0} ms");

        await caller.HangUpAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        await events.WaitAsync(TimeSpan.FromSeconds(10));
        string stream = string.Join('\n', sse);
        Assert.Contains("event: transcript_final", stream);
        Assert.Contains("\"text\":\"call my mother\"", stream);
        Assert.Contains("event: agent_text", stream);
        Assert.Contains("event: agent_state", stream);
        Assert.Contains("event: call_ended", stream);
        Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceiver.ActiveSessions == 0, TimeSpan.FromSeconds(5)),
            "the transceiver kept the session after the call hung up");
    }

    [Fact]
    public async Task A_transceiver_that_stops_ends_its_calls_cleanly_and_frees_the_relay_to_refuse_new_ones()
    {
        await using var rig = await ConversationRig.StartAsync(transceiverSessions: 2);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var caller = await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceiver.ActiveSessions == 1, TimeSpan.FromSeconds(5)));

        // The transceiver closes its sessions ("transceiver stopping"): the relay ends the call with RTCP BYE and close_notify.
        await rig.Transceiver.DisposeAsync();
        var goodbye = caller.WaitForGoodbye(TimeSpan.FromSeconds(5));
        Assert.True(goodbye.RtcpBye, "no RTCP BYE after the transceiver stopped");
        Assert.True(goodbye.DtlsClosed || goodbye.DtlsAlert, "no DTLS close_notify after the transceiver stopped");

        Assert.True(await InProcessRelay.EventuallyAsync(() => !rig.Relay!.Server.Transceivers[0].IsConnected, TimeSpan.FromSeconds(20)),
            "the relay still counts the stopped transceiver as connected");
        var refused = await PostOfferAsync(rig);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("no transceiver is connected", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Calls_are_placed_on_the_transceiver_with_the_most_free_room()
    {
        await using var rig = await ConversationRig.StartAsync(transceiverSessions: 2, transceiverCount: 2);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var callers = new List<SyntheticCaller>();
        try
        {
            for (int i = 1; i <= 4; i++)
            {
                callers.Add(await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token));
                // Each call goes where there is most room: 1+0, then 1+1, 2+1, 2+2.
                int expectedMost = (i + 1) / 2, expectedLeast = i / 2;
                Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceivers.Max(t => t.ActiveSessions) == expectedMost
                    && rig.Transceivers.Min(t => t.ActiveSessions) == expectedLeast, TimeSpan.FromSeconds(5)),
                    $"after {i} calls the transceivers hold {string.Join(" and ", rig.Transceivers.Select(t => t.ActiveSessions))}");
            }
            var full = await PostOfferAsync(rig);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, full.StatusCode);
            var stats = (await rig.Relay!.StatsAsync()).Transceivers!;
            Assert.Equal(["gpu-1", "gpu-2"], stats.Select(t => t.Name));
            Assert.All(stats, t => Assert.True(t.Connected && t.Capacity == 2 && t.Sessions == 2, $"{t}"));
            Assert.Equal("1", full.Headers.RetryAfter?.ToString());

            // A hung-up call frees its slot on its transceiver, and the next call takes it.
            await callers[0].HangUpAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
            // The relay learns of the freed slot from the transceiver's next load report: wait for its view too.
            Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceivers.Sum(t => t.ActiveSessions) == 3
                && rig.Relay!.Server.Transceivers.Sum(t => t.Load) == 3, TimeSpan.FromSeconds(5)));
            callers.Add(await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token));
            Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceivers.All(t => t.ActiveSessions == 2), TimeSpan.FromSeconds(5)));
        }
        finally
        {
            foreach (var caller in callers) caller.Dispose();
        }
    }

    [Fact]
    public async Task A_transceiver_answering_at_another_ones_address_is_refused()
    {
        // gpu-1 is listed at gpu-2's address and the other way round: each tunnel meets the wrong certificate name.
        await using var rig = await ConversationRig.StartAsync(transceiverSessions: 1, transceiverCount: 2, crossAddresses: true);
        var links = rig.Relay!.Server.Transceivers;
        Assert.True(await InProcessRelay.EventuallyAsync(() => links.All(l => l.Attempts >= 3), TimeSpan.FromSeconds(10)), "the relay stopped redialing");
        Assert.All(links, link => Assert.False(link.IsConnected, $"{link.Name} connected to the wrong node"));
        Assert.All(rig.Transceivers, t => Assert.DoesNotContain(t.Connections, c => c.State == TunnelState.Connected));
        var refused = await PostOfferAsync(rig);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("no transceiver is connected (2 configured)", await refused.Content.ReadAsStringAsync());
    }

    private static async Task<HttpResponseMessage> PostOfferAsync(ConversationRig rig)
    {
        string offer = SyntheticCaller.BuildOffer("abcd", "0123456789012345678901", "sha-256 " + string.Join(':', Enumerable.Repeat("AB", 32)));
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(rig.Http, "/v1/calls")) { Content = new StringContent(offer) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", rig.ApiKey);
        return await Http.SendAsync(request);
    }

    private static async Task ReadEventsAsync(Uri relay, string key, string path, List<string> lines, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(relay, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
        while (await reader.ReadLineAsync(cancel) is { } line)
            lock (lines) lines.Add(line);
    }
}
