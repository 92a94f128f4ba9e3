using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.WebRtc.Rtp;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.Conversation;

/// <summary>
/// A transceiver dies (SIGKILL) or drains (SIGTERM) mid-call: the relay moves the call to another transceiver with the
/// conversation so far, and the same caller session (same ICE, DTLS and SRTP: no new offer) goes on talking.
/// </summary>
/// <remarks>
/// Bounds: the relay pings every 250 ms and declares a transceiver dead after 900 ms without a packet, checked every
/// 25 ms, then sends the SessionOpen at once: by design the gap (last packet heard → SessionOpen on the next one) is
/// under 0.95 s, and the move follows the kill by at most that. The tests allow 1.5 s for both, to leave room for
/// a two-core machine shared with other test processes (thread wake-ups late by hundreds of milliseconds).
/// </remarks>
[Collection(EdgeVoice.Relay.Tests.EndToEnd.EndToEndCollection.Name)]
public sealed class FailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan GapBound = TimeSpan.FromMilliseconds(1500);
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <param name="publishedRelay">False: the relay in-process; true: the published Native-AOT relay (artifacts/relay) as a child process.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_call_whose_transceiver_is_killed_goes_on_with_the_other_one_on_the_same_peer_connection(bool publishedRelay)
    {
        await using var rig = await ClusterRig.StartAsync(transceiverCount: 2, sessions: 1, publishedRelay, output);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        using var caller = await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        var events = new CallEventsReader(rig, caller.Location, cancel.Token);
        var first = await rig.ServingAsync(CallId(caller), TimeSpan.FromSeconds(10));
        var second = rig.Transceivers.Single(t => t != first);

        var talk = new Conversation(caller);
        string heard = await Task.Run(() => talk.AskAndListen("call my mother", cancel.Token));
        Assert.Equal("you said call my mother", heard);
        Assert.True(await events.WaitForAsync(e => e.Kind == "agent_text", TimeSpan.FromSeconds(10)), events.Describe());

        // SIGKILL mid-call: no goodbye on the tunnel; the caller keeps sending (silence) as a browser does.
        var killedAt = Stopwatch.GetTimestamp();
        first.Kill();
        string opened = $"opened trace_id={CallId(caller)}";
        TimeSpan? openedAfter = null;
        await Task.Run(() => talk.SendSilenceUntil(() => (openedAfter ??= second.Log.Contains(opened) ? (TimeSpan?)Stopwatch.GetElapsedTime(killedAt) : null) is not null
            || cancel.IsCancellationRequested, TimeSpan.FromSeconds(10)));
        Assert.True(openedAfter is not null, $"the call was not moved to {second.Name}:\n{second.Log}");
        var stats = await rig.FailoverAsync();
        var gap = TimeSpan.FromMilliseconds(stats.GapMillisecondsLast);
        output.WriteLine($"{second.Name} logged the moved call {openedAfter.Value.TotalMilliseconds:F0} ms after the SIGKILL; gap {gap.TotalMilliseconds:F0} ms");
        Assert.Equal(1, stats.MovedOnFailover);
        Assert.Equal(0, stats.EndedNoTransceiver);
        // From the last packet heard, so never less than dead_after (900 ms).
        Assert.InRange(gap, TimeSpan.FromMilliseconds(900), GapBound);

        // The other transceiver got the conversation so far, and answers the next question on the same session.
        Assert.Contains($"moved from {first.Name} with 2 turns of history (last said: \"call my mother\")", second.Log);
        heard = await Task.Run(() => talk.AskAndListen("what time is it", cancel.Token));
        Assert.Equal("you said what time is it", heard);

        // One RTP stream for the caller throughout: consecutive sequence numbers, rising timestamps, a marker at the move.
        talk.AssertContinuousStream(output);
        Assert.Equal(0, caller.UnreadableDatagrams);

        Assert.True(await events.WaitForAsync(e => e.Kind == "transceiver" && !e.Text.Contains("reason=placed"), TimeSpan.FromSeconds(5)), events.Describe());
        Assert.Equal($"name={first.Name};reason=placed", events.Seen.First(e => e.Kind == "transceiver").Text);
        var moved = events.Seen.Last(e => e.Kind == "transceiver");
        Assert.Equal($"name={second.Name};reason=failover;gap_ms={stats.GapMillisecondsLast}", moved.Text);

        await caller.HangUpAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        Assert.True(await events.WaitForAsync(e => e.Kind == "call_ended", TimeSpan.FromSeconds(10)), events.Describe());
    }

    [Fact]
    public async Task A_draining_transceiver_hands_its_call_over_without_dropping_it_and_exits_cleanly()
    {
        await using var rig = await ClusterRig.StartAsync(transceiverCount: 2, sessions: 1, output: output);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var caller = await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        var events = new CallEventsReader(rig, caller.Location, cancel.Token);
        var first = await rig.ServingAsync(CallId(caller), TimeSpan.FromSeconds(10));
        var second = rig.Transceivers.Single(t => t != first);
        var talk = new Conversation(caller);
        Assert.Equal("you said call my mother", await Task.Run(() => talk.AskAndListen("call my mother", cancel.Token)));

        first.Terminate();
        var keepTalking = Task.Run(() => talk.SendSilenceUntil(() => first.HasExited || cancel.IsCancellationRequested, TimeSpan.FromSeconds(20)));
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(20)), $"{first.Name} did not exit after SIGTERM:\n{first.Log}");
        await keepTalking;
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("drained in", first.Log);
        var stats = await rig.FailoverAsync();
        Assert.Equal(1, stats.MovedOnDrain);
        Assert.Equal(0, stats.MovedOnFailover);
        // From the hand-back to the SessionOpen on the other transceiver: no liveness wait, only the relay's own work.
        Assert.True(stats.GapMillisecondsLast < 500, $"drain gap {stats.GapMillisecondsLast} ms");
        await second.WaitForLogAsync("with 2 turns of history (last said: \"call my mother\")", TimeSpan.FromSeconds(5));

        // Not dropped: the same session talks on with the other transceiver.
        Assert.Equal("you said what time is it", await Task.Run(() => talk.AskAndListen("what time is it", cancel.Token)));
        talk.AssertContinuousStream(output);
        Assert.True(await events.WaitForAsync(e => e.Kind == "transceiver" && !e.Text.Contains("reason=placed"), TimeSpan.FromSeconds(5)), events.Describe());
        Assert.StartsWith($"name={second.Name};reason=drain;gap_ms=", events.Seen.Last(e => e.Kind == "transceiver").Text);
        Assert.DoesNotContain(events.Seen, e => e.Kind == "call_ended");
    }

    [Fact]
    public async Task A_call_whose_only_transceiver_is_killed_ends_cleanly()
    {
        await using var rig = await ClusterRig.StartAsync(transceiverCount: 1, sessions: 1, output: output);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var caller = await SyntheticCaller.ConnectAsync(Http, rig.Http, rig.ApiKey, cancel.Token);
        var events = new CallEventsReader(rig, caller.Location, cancel.Token);
        await rig.Transceivers[0].WaitForLogAsync($"opened trace_id={CallId(caller)}", TimeSpan.FromSeconds(10));

        var killedAt = Stopwatch.GetTimestamp();
        rig.Transceivers[0].Kill();
        // The caller hears the spoken notice, then sees the end as from a hang-up: RTCP BYE and DTLS close_notify.
        int noticeFrames = 0;
        var notice = EdgeVoice.Relay.Notices.NoticeAudio.NoTransceiver;
        var goodbye = caller.WaitForGoodbye(GapBound + notice.Duration + TimeSpan.FromSeconds(10), (in RtpHeader _, ReadOnlySpan<byte> _) => noticeFrames++);
        var endedAfter = Stopwatch.GetElapsedTime(killedAt);
        Assert.True(goodbye.RtcpBye, "no RTCP BYE after the only transceiver died");
        Assert.True(goodbye.DtlsClosed || goodbye.DtlsAlert, "no DTLS close_notify after the only transceiver died");
        Assert.Equal(notice.PacketCount, noticeFrames);
        Assert.True(endedAfter < GapBound + notice.Duration + TimeSpan.FromSeconds(1), $"the call ended {endedAfter.TotalMilliseconds:F0} ms after the kill");
        Assert.Equal(1, (await rig.FailoverAsync()).EndedNoTransceiver);
        Assert.True(await events.WaitForAsync(e => e.Kind == "call_ended", TimeSpan.FromSeconds(5)), events.Describe());
        Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Relay!.Server.Transceivers[0].Load == 0, TimeSpan.FromSeconds(5)), "the call's slot was not freed");
    }

    private static string CallId(SyntheticCaller caller) => caller.Location[(caller.Location.LastIndexOf('/') + 1)..];

    /// <summary>A caller speaking in real time (20 ms Opus frames, silence between questions) and keeping what it hears, with its RTP headers.</summary>
    private sealed class Conversation(SyntheticCaller caller)
    {
        private readonly OpusFrameEncoder _encoder = new(32_000);
        private readonly byte[] _packet = new byte[OpusFrameEncoder.MaxPacketBytes];
        private readonly short[] _frame = new short[OpusFrameDecoder.FrameSamples];
        private readonly byte[] _received = new byte[1500];
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<RtpHeader> _headers = [];
        private TimeSpan _nextFrame;
        private TimeSpan _nextConsent;

        /// <summary>Speaks <paramref name="question"/> (espeak-ng), then sends silence until the agent's reply is over; returns what pocketsphinx hears in it.</summary>
        public string AskAndListen(string question, CancellationToken cancel)
        {
            short[] speech = PolyphaseResampler.Convert(EspeakNg.Synthesize(question, "en-us+m3", 140, cancel), EspeakNg.SampleRate, 48_000);
            var reply = new List<byte[]>();
            var started = _clock.Elapsed;
            TimeSpan lastReply = TimeSpan.Zero;
            for (int sent = 0; _clock.Elapsed - started < TimeSpan.FromSeconds(30) && !cancel.IsCancellationRequested; sent++)
            {
                Array.Clear(_frame);
                int offset = sent * _frame.Length;
                if (offset < speech.Length)
                    speech.AsSpan(offset, Math.Min(_frame.Length, speech.Length - offset)).CopyTo(_frame);
                Step(reply, ref lastReply);
                if (reply.Count > 25 && _clock.Elapsed - lastReply > HeardOpus.ReplyOver)
                    break;
            }
            return HeardOpus.Transcribe(reply);
        }

        public void SendSilenceUntil(Func<bool> done, TimeSpan limit)
        {
            var started = _clock.Elapsed;
            var ignored = new List<byte[]>();
            TimeSpan last = TimeSpan.Zero;
            while (!done() && _clock.Elapsed - started < limit)
            {
                Array.Clear(_frame);
                Step(ignored, ref last);
            }
        }

        /// <summary>Sends the current frame and receives until its 20 ms slot is over; a consent check every 5 s keeps ICE alive.</summary>
        private void Step(List<byte[]> reply, ref TimeSpan lastReply)
        {
            if (_nextFrame < _clock.Elapsed - TimeSpan.FromMilliseconds(100))
                _nextFrame = _clock.Elapsed; // resume after a pause without a burst
            caller.SendFrame(_packet.AsSpan(0, _encoder.Encode(_frame, _packet)));
            if (_clock.Elapsed >= _nextConsent)
            {
                caller.SendConsentCheck();
                _nextConsent = _clock.Elapsed + TimeSpan.FromSeconds(5);
            }
            _nextFrame += TimeSpan.FromMilliseconds(20);
            while (_clock.Elapsed < _nextFrame)
            {
                var left = _nextFrame - _clock.Elapsed;
                if (left > TimeSpan.Zero && caller.TryReceiveFrame(left, _received, out int length, out var header))
                {
                    reply.Add(_received.AsSpan(0, length).ToArray());
                    lock (_headers) _headers.Add(header);
                    lastReply = _clock.Elapsed;
                }
            }
        }

        public void AssertContinuousStream(ITestOutputHelper output)
        {
            RtpHeader[] headers;
            lock (_headers) headers = [.. _headers];
            Assert.True(headers.Length > 50, $"only {headers.Length} frames heard");
            Assert.Single(headers.Select(h => h.Ssrc).Distinct());
            int markers = 0;
            for (int i = 1; i < headers.Length; i++)
            {
                Assert.True((ushort)(headers[i - 1].SequenceNumber + 1) == headers[i].SequenceNumber,
                    $"sequence jumps from {headers[i - 1].SequenceNumber} to {headers[i].SequenceNumber} at frame {i}");
                uint step = headers[i].Timestamp - headers[i - 1].Timestamp;
                Assert.True(step >= 960 && step < 48_000 * 60, $"timestamp steps by {(int)step} at frame {i}");
                if (step > 960) Assert.True(headers[i].Marker, $"no marker on the talkspurt starting at frame {i} (timestamp step {step})");
                if (headers[i].Marker) markers++;
            }
            output.WriteLine($"{headers.Length} frames heard, sequence {headers[0].SequenceNumber}..{headers[^1].SequenceNumber}, {markers + 1} talkspurts");
        }
    }

    /// <summary>Reads a call's server-sent events in the background.</summary>
    private sealed class CallEventsReader
    {
        private readonly List<(string Kind, string Text)> _seen = [];
        private readonly Task _reading;

        public CallEventsReader(ClusterRig rig, string location, CancellationToken cancel) =>
            _reading = Task.Run(() => ReadAsync(rig.Http, rig.ApiKey, location + "/events", cancel));

        public IReadOnlyList<(string Kind, string Text)> Seen
        {
            get { lock (_seen) return [.. _seen]; }
        }

        public Task<bool> WaitForAsync(Func<(string Kind, string Text), bool> match, TimeSpan timeout) =>
            InProcessRelay.EventuallyAsync(() => Seen.Any(match), timeout);

        public string Describe() => $"events: {string.Join(" | ", Seen.Select(e => $"{e.Kind} {e.Text}"))}; reader {_reading.Status} {_reading.Exception?.GetBaseException().Message}";

        private async Task ReadAsync(Uri relay, string key, string path, CancellationToken cancel)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(relay, path));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
            string? kind = null;
            while (await reader.ReadLineAsync(cancel) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    kind = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && kind is not null)
                {
                    string text = "";
                    using (var data = JsonDocument.Parse(line["data: ".Length..]))
                        if (data.RootElement.TryGetProperty("text", out var t)) text = t.GetString() ?? "";
                    lock (_seen) _seen.Add((kind, text));
                    kind = null;
                }
            }
        }
    }
}
