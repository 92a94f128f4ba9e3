using System.Net;
using System.Net.Http.Headers;

namespace EdgeVoice.Relay.Tests.Relay;

/// <summary>GET /metrics on the signaling listener: who may scrape (metrics.access) and that the figures move with a call.</summary>
public sealed class MetricsEndpointTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Metrics_need_an_api_key_by_default_and_count_an_echo_call()
    {
        await using var relay = await InProcessRelay.StartAsync();
        using (var anonymous = await Http.GetAsync(new Uri(relay.Http, "/metrics")))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var token = await Scrape(relay, "not-a-key"))
            Assert.Equal(HttpStatusCode.Unauthorized, token.StatusCode);

        var before = await ScrapeSamples(relay);
        Assert.Equal(0, before.Value("edgevoice_relay_rtp_packets_total", ("direction", "in")));
        Assert.Equal(100, before.Value("edgevoice_relay_session_limit"));

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var caller = await SyntheticCaller.ConnectAsync(Http, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        var payload = new byte[120];
        var received = new byte[1500];
        int echoed = 0;
        for (int i = 0; i < 20; i++)
        {
            caller.SendFrame(payload);
            if (caller.TryReceiveFrame(TimeSpan.FromSeconds(1), received, out _, out _)) echoed++;
        }
        Assert.True(echoed > 0);
        var during = await ScrapeSamples(relay);
        Assert.Equal(1, during.Value("edgevoice_relay_sessions", ("state", "connected")));
        Assert.Equal(0, during.Value("edgevoice_relay_sessions", ("state", "connecting")));
        Assert.Equal(1, during.Value("edgevoice_relay_handshakes_total", ("result", "connected")));
        Assert.True(during.Value("edgevoice_relay_rtp_packets_total", ("direction", "in")) >= 20);
        Assert.True(during.Value("edgevoice_relay_rtp_packets_total", ("direction", "out")) >= echoed);
        Assert.True(during.Value("edgevoice_relay_datagrams_received_total") > 20);
        // The JSON stats come from the same source.
        var stats = await relay.StatsAsync();
        Assert.True(stats.RtpReceived >= 20);
        // An echo relay has no transceiver series.
        Assert.DoesNotContain(during, s => s.Name.StartsWith("edgevoice_relay_transceiver_", StringComparison.Ordinal));

        await caller.HangUpAsync(Http, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        Assert.True(await InProcessRelay.EventuallyAsync(() => relay.Server.Sessions.Count == 0, TimeSpan.FromSeconds(5)));
        var after = await ScrapeSamples(relay);
        Assert.Equal(0, after.Value("edgevoice_relay_sessions", ("state", "connected")));
    }

    [Fact]
    public async Task Forged_stun_shows_as_a_drop_reason()
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var udp = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        // A STUN binding request whose ufrag is no routing token the relay minted.
        var request = Convert.FromHexString("000100082112A442" + "0102030405060708090A0B0C" + "0006000461623A63");
        for (int i = 0; i < 3; i++)
            await udp.SendAsync(request, relay.Server.MediaEndPoint);
        double dropped = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (dropped < 3 && DateTime.UtcNow < deadline)
        {
            var samples = await ScrapeSamples(relay);
            dropped = samples.Where(s => s.Name == "edgevoice_relay_drops_total" && s.Labels["reason"].StartsWith("stun_", StringComparison.Ordinal)).Sum(s => s.Value);
            await Task.Delay(20);
        }
        Assert.Equal(3, dropped);
    }

    [Theory]
    [InlineData("open", HttpStatusCode.OK)]
    [InlineData("off", HttpStatusCode.NotFound)]
    public async Task Metrics_access_open_or_off(string access, HttpStatusCode anonymous)
    {
        await using var relay = await InProcessRelay.StartAsync(extraYaml: $"metrics:\n  access: {access}\n");
        using var response = await Http.GetAsync(new Uri(relay.Http, "/metrics"));
        Assert.Equal(anonymous, response.StatusCode);
        if (anonymous == HttpStatusCode.OK)
        {
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
            Assert.Contains(ExpositionParser.Parse(await response.Content.ReadAsStringAsync()), s => s.Name == "edgevoice_relay_sessions");
        }
    }

    private static async Task<HttpResponseMessage> Scrape(InProcessRelay relay, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(relay.Http, "/metrics"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await Http.SendAsync(request);
    }

    private static async Task<List<ExpositionParser.Sample>> ScrapeSamples(InProcessRelay relay)
    {
        using var response = await Scrape(relay, InProcessRelay.ApiKey);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return ExpositionParser.Parse(await response.Content.ReadAsStringAsync());
    }
}
