using System.Net;
using System.Net.Http.Headers;
using EdgeVoice.Testing;
using EdgeVoice.WebRtc.Rtp;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.Relay.Tests.Relay;

public class EchoCallTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm)]
    [InlineData(SrtpProfile.Aes128CmHmacSha1_80)]
    public async Task CallerHearsItsOwnFramesBackOnANewStream(SrtpProfile profile)
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var caller = await SyntheticCaller.ConnectAsync(Http, relay.Http, InProcessRelay.ApiKey, cancel.Token, [profile]);
        Assert.Equal(profile, caller.Profile);

        var payload = new byte[160];
        var received = new byte[1500];
        int echoed = 0;
        RtpHeader first = default, last = default;
        for (int i = 0; i < 50; i++)
        {
            payload.AsSpan().Fill((byte)i);
            caller.SendFrame(payload);
            if (caller.TryReceiveFrame(TimeSpan.FromSeconds(1), received, out int length, out var header))
            {
                Assert.Equal(payload.Length, length);
                Assert.Equal((byte)i, received[0]);
                if (echoed == 0)
                    first = header;
                last = header;
                echoed++;
            }
        }
        Assert.True(echoed >= 48, $"only {echoed} of 50 frames came back");
        Assert.Equal(SyntheticCaller.OpusPayloadType, last.PayloadType);
        Assert.Equal(first.Ssrc, last.Ssrc);
        Assert.Equal((ushort)(first.SequenceNumber + echoed - 1), last.SequenceNumber);
        Assert.Equal(first.Timestamp + (uint)(960 * (echoed - 1)), last.Timestamp);

        await caller.HangUpAsync(Http, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        await Assert.ThrowsAsync<InvalidOperationException>(() => caller.HangUpAsync(Http, relay.Http, InProcessRelay.ApiKey, cancel.Token));
    }

    /// <summary>
    /// The media loop looks up a batch's calls before it handles the batch. A check from a new port binds that address
    /// while the batch is handled, so a frame right behind it, in the same batch, has to be routed by the new binding.
    /// </summary>
    [Fact]
    public async Task AFrameFromANewPortRightBehindItsCheckIsEchoed()
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var caller = await SyntheticCaller.ConnectAsync(Http, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        var payload = new byte[160];
        var received = new byte[1500];
        for (int round = 0; round < 10; round++)
        {
            using var other = caller.OpenOtherPort();
            // A frame on the selected pair keeps the loop in its batched rhythm, so the check and the frame behind it
            // arrive while it sleeps and are read in one batch.
            payload.AsSpan().Fill((byte)(2 * round + 1));
            caller.SendFrame(payload);
            caller.SendConsentCheck(other);
            payload.AsSpan().Fill((byte)(2 * round + 2));
            caller.SendFrame(payload, other);
            var heard = new HashSet<byte>();
            while (heard.Count < 2 && caller.TryReceiveFrame(TimeSpan.FromSeconds(1), received, out _, out _))
                heard.Add(received[0]);
            Assert.True(heard.Contains((byte)(2 * round + 1)), $"round {round}: the frame on the selected pair was not echoed");
            Assert.True(heard.Contains((byte)(2 * round + 2)), $"round {round}: the frame from the new port was not echoed");
        }
    }

    [Fact]
    public async Task ConcurrentCallsEachHearOnlyThemselves()
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var callers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => SyntheticCaller.ConnectAsync(Http, relay.Http, InProcessRelay.ApiKey, cancel.Token)));
        try
        {
            var payload = new byte[100];
            var received = new byte[1500];
            for (int round = 0; round < 20; round++)
            {
                for (int c = 0; c < callers.Length; c++)
                {
                    payload.AsSpan().Fill((byte)(c + 1));
                    callers[c].SendFrame(payload);
                }
                for (int c = 0; c < callers.Length; c++)
                {
                    Assert.True(callers[c].TryReceiveFrame(TimeSpan.FromSeconds(2), received, out int length, out _), $"caller {c} got no echo in round {round}");
                    Assert.True(received.AsSpan(0, length).IndexOfAnyExcept((byte)(c + 1)) < 0, $"caller {c} heard another caller's audio");
                }
            }
        }
        finally
        {
            foreach (var caller in callers)
                caller.Dispose();
        }
    }

    [Fact]
    public async Task WrongKeyIs401AndBadOfferIs400AndFullIs503()
    {
        await using var relay = await InProcessRelay.StartAsync(maxSessions: 1);
        string offer = SyntheticCaller.BuildOffer("abcd", "0123456789012345678901", "sha-256 " + string.Join(':', Enumerable.Repeat("AB", 32)));

        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(relay, offer, "wrong-key")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Post(relay, offer, null)).StatusCode);

        var bad = await Post(relay, "v=0\r\nthis is not sdp\r\n", InProcessRelay.ApiKey);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        string reason = await bad.Content.ReadAsStringAsync();
        Assert.Single(reason.Trim().Split('\n'));

        var created = await Post(relay, offer, InProcessRelay.ApiKey);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("/v1/calls/", created.Headers.Location!.ToString());
        Assert.Equal("application/sdp", created.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Post(relay, offer, InProcessRelay.ApiKey)).StatusCode);
    }

    [Fact]
    public async Task CallsStillConnectingAreBoundedByMaxHandshakesInFlight()
    {
        await using var relay = await InProcessRelay.StartAsync(adjust: options => options with
        {
            Limits = options.Limits with { MaxHandshakesInFlight = 1 },
        });
        string offer = SyntheticCaller.BuildOffer("abcd", "0123456789012345678901", "sha-256 " + string.Join(':', Enumerable.Repeat("AB", 32)));

        var pending = await Post(relay, offer, InProcessRelay.ApiKey);
        Assert.Equal(HttpStatusCode.Created, pending.StatusCode);
        var refused = await Post(relay, offer, InProcessRelay.ApiKey);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("max_handshakes_in_flight", await refused.Content.ReadAsStringAsync());

        // Hanging up the call that never connected frees its place.
        await relay.DeleteAsync(pending.Headers.Location!.ToString());
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (relay.Server.Sessions.Connecting > 0)
            await Task.Delay(20, cancel.Token);
        using var caller = await SyntheticCaller.ConnectAsync(Http, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        while (relay.Server.Sessions.Connecting > 0)
            await Task.Delay(20, cancel.Token);
        // Connected calls do not count: the next offer is admitted.
        Assert.Equal(HttpStatusCode.Created, (await Post(relay, offer, InProcessRelay.ApiKey)).StatusCode);
    }

    private static async Task<HttpResponseMessage> Post(InProcessRelay relay, string offer, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(relay.Http, "/v1/calls")) { Content = new StringContent(offer) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await Http.SendAsync(request);
    }
}
