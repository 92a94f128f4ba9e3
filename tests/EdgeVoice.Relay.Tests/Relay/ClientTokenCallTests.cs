using System.Net;
using System.Text.Json;
using EdgeVoice.Relay.Signaling;
using EdgeVoice.Testing;

namespace EdgeVoice.Relay.Tests.Relay;

/// <summary>Client tokens end to end through the relay's HTTP API: minting, placing and ending calls, and every way to be refused.</summary>
public class ClientTokenCallTests
{
    private static readonly string AnyOffer = SyntheticCaller.BuildOffer("abcd", "0123456789012345678901",
        "sha-256 " + string.Join(':', Enumerable.Repeat("AB", 32)));

    private static async Task<(string Token, DateTimeOffset ExpiresAt)> MintAsync(InProcessRelay relay, string json)
    {
        using var response = await relay.RequestTokenAsync(json);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /v1/tokens answered {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        string token = document.RootElement.GetProperty("token").GetString()!;
        var expiresAt = document.RootElement.GetProperty("expires_at").GetDateTimeOffset();
        return (token, expiresAt);
    }

    [Fact]
    public async Task MintedTokenPlacesAFullCallAndHangsItUp()
    {
        await using var relay = await InProcessRelay.StartAsync();
        var before = DateTimeOffset.UtcNow;
        var (token, expiresAt) = await MintAsync(relay, """{"expires_in": 120}""");
        Assert.StartsWith(ClientToken.Prefix, token);
        Assert.InRange(expiresAt, before.AddSeconds(118), DateTimeOffset.UtcNow.AddSeconds(121));

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var caller = await SyntheticCaller.ConnectAsync(relay.Client, relay.Http, token, cancel.Token);
        var payload = new byte[80];
        var received = new byte[1500];
        payload.AsSpan().Fill(7);
        caller.SendFrame(payload);
        Assert.True(caller.TryReceiveFrame(TimeSpan.FromSeconds(2), received, out int length, out _));
        Assert.Equal(payload, received[..length]);

        await caller.HangUpAsync(relay.Client, relay.Http, token, cancel.Token);
        Assert.True(await InProcessRelay.EventuallyAsync(() => relay.Server.Sessions.Count == 0, TimeSpan.FromSeconds(3)));
        Assert.True(caller.WaitForGoodbye(TimeSpan.FromSeconds(3)).RtcpBye, "the caller got no RTCP BYE after DELETE");
    }

    [Fact]
    public async Task TokenRequestNeedsTheApiKey()
    {
        await using var relay = await InProcessRelay.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.RequestTokenAsync("{}", bearer: null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.RequestTokenAsync("{}", bearer: "not-the-key")).StatusCode);
        // A client token is for calls only: it cannot mint further tokens.
        var (token, _) = await MintAsync(relay, "{}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.RequestTokenAsync("{}", bearer: token)).StatusCode);
        // A request with no body gets the configured default lifetime.
        var (_, expiresAt) = await MintAsync(relay, null!);
        Assert.True(expiresAt > DateTimeOffset.UtcNow.AddSeconds(10));
        // 0 asks for no call limit.
        var (unlimited, _) = await MintAsync(relay, """{"max_call_seconds": 0}""");
        Assert.StartsWith(ClientToken.Prefix, unlimited);
    }

    [Theory]
    [InlineData("""{"expires_in": 0}""")]
    [InlineData("""{"expires_in": -5}""")]
    [InlineData("""{"expires_in": 3601}""")]
    [InlineData("""{"max_call_seconds": -1}""")]
    [InlineData("""{"expires_in": "soon"}""")]
    [InlineData("""not json""")]
    public async Task OutOfRangeTokenRequestIs400(string json)
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var response = await relay.RequestTokenAsync(json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Single((await response.Content.ReadAsStringAsync()).Trim().Split('\n'));
    }

    [Fact]
    public async Task ExpiredTamperedAndForeignTokensAre401()
    {
        await using var relay = await InProcessRelay.StartAsync();
        var secret = Convert.FromBase64String(InProcessRelay.TokenSecretBase64);
        var ownTokens = new ClientToken(secret, TimeSpan.FromHours(1));
        var now = DateTimeOffset.UtcNow;
        string expired = ownTokens.Mint("test", now.AddMinutes(-10), TimeSpan.FromMinutes(5), 60);
        string valid = ownTokens.Mint("test", now, TimeSpan.FromMinutes(5), 60);
        var otherSecret = secret.ToArray();
        otherSecret[0] ^= 1;
        string foreign = new ClientToken(otherSecret, TimeSpan.FromHours(1)).Mint("test", now, TimeSpan.FromMinutes(5), 60);
        char[] chars = valid.ToCharArray();
        int inPayload = ClientToken.Prefix.Length + 20;
        chars[inPayload] = chars[inPayload] == 'A' ? 'B' : 'A';
        string tampered = new(chars);

        foreach (string bad in new[] { expired, foreign, tampered, valid + "x", valid[..^1] })
        {
            using var response = await relay.PostOfferAsync(AnyOffer, bearer: bad);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        Assert.Equal(0, relay.Server.Sessions.Count);

        using var created = await relay.PostOfferAsync(AnyOffer, bearer: valid);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string location = created.Headers.Location!.ToString();
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.DeleteAsync(location, bearer: expired)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.DeleteAsync(location, bearer: foreign)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await relay.DeleteAsync(location, bearer: valid)).StatusCode);
    }

    [Fact]
    public async Task MintedTokenStopsWorkingWhenItExpires()
    {
        await using var relay = await InProcessRelay.StartAsync();
        var (token, expiresAt) = await MintAsync(relay, """{"expires_in": 1}""");
        Assert.True(DateTimeOffset.UtcNow < expiresAt.AddSeconds(1));
        // expires_at is a whole second at most one second ahead: poll past it instead of sleeping a fixed time.
        Assert.True(await InProcessRelay.EventuallyAsync(() => DateTimeOffset.UtcNow > expiresAt.AddMilliseconds(50), TimeSpan.FromSeconds(3)));
        using var response = await relay.PostOfferAsync(AnyOffer, bearer: token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Expired", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TokenBoundToAnOriginWorksOnlyFromIt()
    {
        await using var relay = await InProcessRelay.StartAsync();
        var (token, _) = await MintAsync(relay, """{"origin": "https://app.example.com"}""");
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.PostOfferAsync(AnyOffer, bearer: token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.PostOfferAsync(AnyOffer, bearer: token, origin: "https://evil.example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.PostOfferAsync(AnyOffer, bearer: token, origin: "https://app.example.com:8443")).StatusCode);
        using var created = await relay.PostOfferAsync(AnyOffer, bearer: token, origin: "https://app.example.com");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        string location = created.Headers.Location!.ToString();
        Assert.Equal(HttpStatusCode.Unauthorized, (await relay.DeleteAsync(location, bearer: token, origin: "https://evil.example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await relay.DeleteAsync(location, bearer: token, origin: "https://app.example.com")).StatusCode);
    }

    [Fact]
    public async Task MaxCallSecondsEndsTheCallWithAGoodbye()
    {
        await using var relay = await InProcessRelay.StartAsync();
        var (token, _) = await MintAsync(relay, """{"max_call_seconds": 1}""");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var caller = await SyntheticCaller.ConnectAsync(relay.Client, relay.Http, token, cancel.Token);
        var payload = new byte[40];
        var received = new byte[1500];
        caller.SendFrame(payload);
        Assert.True(caller.TryReceiveFrame(TimeSpan.FromSeconds(2), received, out _, out _), "no echo while the call was within its limit");

        var goodbye = caller.WaitForGoodbye(TimeSpan.FromSeconds(5));
        Assert.True(goodbye.RtcpBye, "no RTCP BYE when the call reached max_call_seconds");
        Assert.True(goodbye.DtlsClosed, "no DTLS close_notify when the call reached max_call_seconds");
        Assert.True(await InProcessRelay.EventuallyAsync(() => relay.Server.Sessions.Count == 0, TimeSpan.FromSeconds(2)));
        // The ended call's address is forgotten: its media is now unrouted.
        long unrouted = relay.Server.Counters.UnroutedDatagrams;
        caller.SendFrame(payload);
        Assert.True(await InProcessRelay.EventuallyAsync(() => relay.Server.Counters.UnroutedDatagrams > unrouted, TimeSpan.FromSeconds(2)));
    }
}
