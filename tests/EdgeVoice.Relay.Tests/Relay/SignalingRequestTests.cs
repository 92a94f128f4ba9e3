using System.Net;
using System.Text;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Testing;
using EdgeVoice.WebRtc.Sdp;

namespace EdgeVoice.Relay.Tests.Relay;

/// <summary>What the HTTP API answers to requests it must refuse, to browsers' CORS preflights, and to offers with sections it does not take.</summary>
public class SignalingRequestTests
{
    private static readonly string Fingerprint = "sha-256 " + string.Join(':', Enumerable.Repeat("AB", 32));
    private static readonly string AudioOffer = SyntheticCaller.BuildOffer("abcd", "0123456789012345678901", Fingerprint);

    [Fact]
    public async Task DeleteIs404ForAnUnknownCallAnd401WithoutTheKey()
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var created = await relay.PostOfferAsync(AudioOffer);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string location = created.Headers.Location!.ToString();

        Assert.Equal(HttpStatusCode.NotFound, (await relay.DeleteAsync("/v1/calls/00112233445566778899aabbccddeeff")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.DeleteAsync(location, bearer: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.DeleteAsync(location, bearer: "not-the-key")).StatusCode);
        Assert.Equal(1, relay.Server.Sessions.Count);
        Assert.Equal(HttpStatusCode.NoContent, (await relay.DeleteAsync(location)).StatusCode);
        Assert.True(await InProcessRelay.EventuallyAsync(() => relay.Server.Sessions.Count == 0, TimeSpan.FromSeconds(3)));
        Assert.Equal(HttpStatusCode.NotFound, (await relay.DeleteAsync(location)).StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/json")]
    [InlineData(null)]
    public async Task OfferWithAnotherContentTypeIs415(string? contentType)
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var response = await relay.PostOfferAsync(AudioOffer, contentType: contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(0, relay.Server.Sessions.Count);
    }

    [Fact]
    public async Task OversizedOfferIs413WithOrWithoutContentLength()
    {
        await using var relay = await InProcessRelay.StartAsync();
        string oversized = AudioOffer + string.Concat(Enumerable.Repeat("a=x-padding:" + new string('x', 100) + "\r\n", 200));
        Assert.True(Encoding.UTF8.GetByteCount(oversized) > 16384);
        using var sized = await relay.PostOfferAsync(oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, sized.StatusCode);

        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(relay.Http, "/v1/calls")) { Content = new UnsizedContent(Encoding.UTF8.GetBytes(oversized)) };
        request.Content.Headers.ContentType = new("application/sdp");
        request.Headers.Authorization = new("Bearer", InProcessRelay.ApiKey);
        using var chunked = await relay.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Equal(0, relay.Server.Sessions.Count);
    }

    public static TheoryData<string, string> UnusableOffers => new()
    {
        { "video only", AudioOffer.Replace("m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 9 UDP/TLS/RTP/SAVPF 96")
            .Replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:96 VP8/90000").Replace("a=fmtp:111 minptime=10;useinbandfec=1\r\n", "") },
        { "audio without opus", AudioOffer.Replace("m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=audio 9 UDP/TLS/RTP/SAVPF 0")
            .Replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:0 PCMU/8000").Replace("a=fmtp:111 minptime=10;useinbandfec=1\r\n", "") },
        { "no fingerprint", AudioOffer.Replace($"a=fingerprint:{Fingerprint}\r\n", "") },
        { "not sdp", "hello\r\n" },
    };

    [Theory]
    [MemberData(nameof(UnusableOffers))]
    public async Task UnusableOfferIs400WithAOneLineReason(string what, string offer)
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var response = await relay.PostOfferAsync(offer);
        string reason = (await response.Content.ReadAsStringAsync()).Trim();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {reason}");
        Assert.Single(reason.Split('\n'));
        Assert.NotEmpty(reason);
        Assert.Equal(0, relay.Server.Sessions.Count);
    }

    [Theory]
    [InlineData("chromium-156-audio-datachannel.sdp")]
    [InlineData("chromium-156-audio-video-datachannel-no-candidates.sdp")]
    [InlineData("aiortc-1.4.0-audio-datachannel.sdp")]
    public async Task AnswerRejectsDataChannelAndVideoSectionsWithPortZero(string file)
    {
        await using var relay = await InProcessRelay.StartAsync();
        string offerText = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "tests", "corpus", "sdp", file));
        Assert.True(SdpSessionDescription.TryParse(offerText, out var offer, out _, out _));
        using var response = await relay.PostOfferAsync(offerText);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode} {body}");
        Assert.True(SdpSessionDescription.TryParse(body, out var answer, out _, out string reason), reason);

        // One answer section per offer section, in order; only the audio one is accepted.
        Assert.Equal(offer.Media.Count, answer.Media.Count);
        Assert.Contains(offer.Media, m => m.Kind == SdpMediaKind.Application);
        for (int i = 0; i < offer.Media.Count; i++)
        {
            Assert.Equal(offer.Media[i].Kind, answer.Media[i].Kind);
            Assert.Equal(offer.Media[i].Mid, answer.Media[i].Mid);
            if (answer.Media[i].Kind == SdpMediaKind.Audio)
                Assert.NotEqual(0, answer.Media[i].Port);
            else
                Assert.True(answer.Media[i].Port == 0, $"section {i} ({answer.Media[i].Media}) is not rejected:\n{body}");
        }
    }

    [Fact]
    public async Task PreflightFromAnAllowedOriginPermitsPostAndDelete()
    {
        await using var relay = await InProcessRelay.StartAsync();
        foreach (var (path, method) in new[] { ("/v1/calls", "POST"), ("/v1/calls/0011", "DELETE"), ("/v1/tokens", "POST") })
        {
            using var response = await PreflightAsync(relay, path, method, InProcessRelay.AllowedOrigin);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal(InProcessRelay.AllowedOrigin, Header(response, "Access-Control-Allow-Origin"));
            string methods = Header(response, "Access-Control-Allow-Methods") ?? "";
            Assert.Contains("POST", methods);
            Assert.Contains("DELETE", methods);
            string headers = Header(response, "Access-Control-Allow-Headers") ?? "";
            Assert.Contains("authorization", headers, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("content-type", headers, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal(0, relay.Server.Sessions.Count);
    }

    [Fact]
    public async Task CrossOriginPostExposesLocation()
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var response = await relay.PostOfferAsync(AudioOffer, origin: InProcessRelay.AllowedOrigin);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(InProcessRelay.AllowedOrigin, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains("location", Header(response, "Access-Control-Expose-Headers") ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(response.Headers.Location);
    }

    [Fact]
    public async Task DisallowedOriginGetsNoAllowOrigin()
    {
        await using var relay = await InProcessRelay.StartAsync();
        const string evil = "https://evil.example.com";
        using var preflight = await PreflightAsync(relay, "/v1/calls", "POST", evil);
        Assert.Null(Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Null(Header(preflight, "Access-Control-Allow-Methods"));
        using var post = await relay.PostOfferAsync(AudioOffer, origin: evil);
        Assert.Null(Header(post, "Access-Control-Allow-Origin"));
        Assert.Null(Header(post, "Access-Control-Expose-Headers"));
    }

    [Theory]
    [InlineData("PUT", "authorization,content-type")]
    [InlineData("POST", "authorization,x-debug")]
    public async Task PreflightForAnotherMethodOrHeaderIsNotPermitted(string method, string requestHeaders)
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var response = await PreflightAsync(relay, "/v1/calls", method, InProcessRelay.AllowedOrigin, requestHeaders);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Null(Header(response, "Access-Control-Allow-Origin"));
        Assert.Null(Header(response, "Access-Control-Allow-Methods"));
        Assert.Contains("Origin", Header(response, "Vary") ?? "");
        Assert.Equal(0, relay.Server.Sessions.Count);
    }

    private static async Task<HttpResponseMessage> PreflightAsync(InProcessRelay relay, string path, string method, string origin,
        string requestHeaders = "authorization,content-type")
    {
        var request = new HttpRequestMessage(HttpMethod.Options, new Uri(relay.Http, path));
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", requestHeaders);
        return await relay.Client.SendAsync(request);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    /// <summary>A body without Content-Length: sent chunked, so the relay must count while reading.</summary>
    private sealed class UnsizedContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
