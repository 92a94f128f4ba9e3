using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using EdgeVoice.Relay.Notices;
using EdgeVoice.Relay.Tests.Notices;
using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.Conversation;

/// <summary>The only transceiver vanishes mid-call: the caller hears the relay's spoken notice on the same RTP stream, then the call ends cleanly.</summary>
[Collection(EdgeVoice.Relay.Tests.EndToEnd.EndToEndCollection.Name)]
public sealed class NoTransceiverNoticeTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private sealed record Heard(ushort Sequence, uint Timestamp, bool Marker, byte[] Payload, TimeSpan At);

    /// <param name="publishedRelay">True: the published Native-AOT relay (artifacts/relay), which plays the notice embedded in its binary.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_caller_hears_the_notice_then_the_call_ends_when_its_only_transceiver_vanishes(bool publishedRelay)
    {
        await using var rig = await ConversationRig.StartAsync(transceiverSessions: 1, publishedRelay, output, throughCables: true);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var caller = await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceiver.ActiveSessions == 1, TimeSpan.FromSeconds(5)));
        var sse = new List<string>();
        var events = Task.Run(() => ReadEventsAsync(rig, caller.Location + "/events", sse, cancel.Token));

        // First the agent answers a question, so the notice has a stream to continue.
        var clock = Stopwatch.StartNew();
        var reply = AskAndListen(caller, "what time is it", clock, cancel.Token);
        Assert.True(reply.Count > 25, $"only {reply.Count} reply frames came back");

        // The transceiver vanishes without a word: no session close, no connection close; the tunnel times out.
        caller.SendConsentCheck();
        var cutAt = clock.Elapsed;
        rig.Cables[0].Cut();
        var notice = new List<Heard>();
        var goodbye = caller.WaitForGoodbye(TimeSpan.FromSeconds(25),
            (in EdgeVoice.WebRtc.Rtp.RtpHeader h, ReadOnlySpan<byte> payload) => notice.Add(new(h.SequenceNumber, h.Timestamp, h.Marker, payload.ToArray(), clock.Elapsed)));
        output.WriteLine($"reply: {reply.Count} frames; cut at {cutAt.TotalSeconds:F2} s; notice: {notice.Count} frames from {(notice.Count > 0 ? (notice[0].At - cutAt).TotalSeconds : double.NaN):F2} s after the cut, over {(notice.Count > 1 ? (notice[^1].At - notice[0].At).TotalSeconds : 0):F2} s; {goodbye}");

        // The whole notice, packet for packet, on the call's own stream: the next sequence numbers, a marker, 20 ms apart.
        var expected = NoticeAudio.NoTransceiver;
        Assert.Equal(expected.PacketCount, notice.Count);
        for (int i = 0; i < notice.Count; i++)
        {
            Assert.Equal(expected.Packet(i).ToArray(), notice[i].Payload);
            Assert.Equal((ushort)(reply[^1].Sequence + 1 + i), notice[i].Sequence);
            Assert.Equal(notice[0].Timestamp + (uint)(i * NoticeAudio.SamplesPerPacket), notice[i].Timestamp);
            Assert.Equal(i == 0, notice[i].Marker);
        }
        // The timestamp jumps over the silence between the reply and the notice, about as far as the clock went.
        double gapByTimestamp = (notice[0].Timestamp - reply[^1].Timestamp) / 48_000.0;
        double gapByArrival = (notice[0].At - reply[^1].At).TotalSeconds;
        Assert.True(Math.Abs(gapByTimestamp - gapByArrival) < 0.5, $"timestamp gap {gapByTimestamp:F3} s, arrival gap {gapByArrival:F3} s");
        var span = notice[^1].At - notice[0].At;
        Assert.True(span >= TimeSpan.FromMilliseconds(20 * (notice.Count - 1) * 0.8), $"{notice.Count} notice frames arrived within {span.TotalMilliseconds:F0} ms");

        // What the caller hears: the notice's words.
        string words = Decode(notice).Transcribe(NoticeAudioTests.Grammar);
        Assert.Equal("sorry no agent is available please call again later", words);

        // Then the call ends cleanly: RTCP BYE and close_notify, the event stream says why, the relay forgets the session.
        Assert.True(goodbye.RtcpBye, "no RTCP BYE after the notice");
        Assert.True(goodbye.DtlsClosed || goodbye.DtlsAlert, "no DTLS close_notify after the notice");
        await events.WaitAsync(TimeSpan.FromSeconds(10));
        string stream;
        lock (sse) stream = string.Join('\n', sse);
        Assert.Contains("event: call_ended\ndata: {\"reason\":\"handler_ended\",\"detail\":\"no transceiver took the call over: gpu-1 is gone and no other transceiver is connected\"}", stream);
        if (rig.Relay is { } relay)
            Assert.True(await InProcessRelay.EventuallyAsync(() => relay.Server.Sessions.Count == 0, TimeSpan.FromSeconds(5)), "the relay kept the session");
    }

    [Fact]
    [Trait("Needs", "edgevoice-relay")]
    public async Task The_published_relay_refuses_to_start_with_a_notice_that_is_not_ogg_opus()
    {
        string directory = Directory.CreateTempSubdirectory("edgevoice-bad-notice-").FullName;
        try
        {
            string wav = Path.Combine(directory, "notice.wav");
            File.WriteAllBytes(wav, [.. "RIFF"u8, .. new byte[100]]);
            var e = await Assert.ThrowsAnyAsync<Exception>(() => RelayProcess.StartAsync(RelayKind.EdgeVoice, output, $"notices:\n  no_transceiver: {wav}\n"));
            Assert.Contains("exited with code 2", e.Message);
            Assert.Contains($"notices.no_transceiver: '{wav}' is not a usable Ogg Opus notice: not an Ogg file", e.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Sends the question as 20 ms Opus frames in real time (then silence, as a browser does) and collects the reply until it has ended.</summary>
    private static List<Heard> AskAndListen(SyntheticCaller caller, string question, Stopwatch clock, CancellationToken cancel)
    {
        short[] speech = PolyphaseResampler.Convert(EspeakNg.Synthesize(question, "en-us+m3", 140, cancel), EspeakNg.SampleRate, 48_000);
        var encoder = new OpusFrameEncoder(32_000);
        var packet = new byte[OpusFrameEncoder.MaxPacketBytes];
        var frame = new short[OpusFrameDecoder.FrameSamples];
        var received = new byte[1500];
        var reply = new List<Heard>();
        var started = clock.Elapsed;
        int sent = 0;
        while (clock.Elapsed - started < TimeSpan.FromSeconds(25))
        {
            Array.Clear(frame);
            int offset = sent * frame.Length;
            if (offset < speech.Length)
                speech.AsSpan(offset, Math.Min(frame.Length, speech.Length - offset)).CopyTo(frame);
            caller.SendFrame(packet.AsSpan(0, encoder.Encode(frame, packet)));
            sent++;
            if (sent % 250 == 0)
                caller.SendConsentCheck();
            var slotEnd = started + TimeSpan.FromMilliseconds(20 * sent);
            while (clock.Elapsed < slotEnd)
            {
                var left = slotEnd - clock.Elapsed;
                if (left > TimeSpan.Zero && caller.TryReceiveFrame(left, received, out int length, out var header))
                    reply.Add(new(header.SequenceNumber, header.Timestamp, header.Marker, received[..length], clock.Elapsed));
            }
            if (reply.Count > 25 && clock.Elapsed - reply[^1].At > HeardOpus.ReplyOver)
                break;
        }
        return reply;
    }

    private static ReceivedAudio Decode(List<Heard> frames)
    {
        var decoder = new OpusFrameDecoder();
        var pcm = new short[frames.Count * OpusFrameDecoder.FrameSamples];
        for (int i = 0; i < frames.Count; i++)
        {
            var slot = pcm.AsSpan(i * OpusFrameDecoder.FrameSamples, OpusFrameDecoder.FrameSamples);
            if (!decoder.TryDecode(frames[i].Payload, slot, out _)) decoder.Conceal(slot);
        }
        return new ReceivedAudio(pcm, OpusFrameDecoder.SampleRate);
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
