using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using EdgeVoice.Testing;
using EdgeVoice.Transceiver.Metrics;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Tunnel.Metrics;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class MetricsTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task A_turn_reports_its_timings_as_an_event_and_into_the_histograms()
    {
        var metrics = new PipelineMetrics();
        var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(), PipelineTests.Offline, output.WriteLine, metrics);
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(Speech.Say("what time is it"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), "no reply");
        await caller.FinishAsync();
        await pipeline.DisposeAsync();

        var timing = Assert.Single(caller.Events, e => e.Kind == PipelineEventKind.TurnTiming);
        output.WriteLine(timing.Text);
        var match = Regex.Match(timing.Text!, @"^asr_ms=(\d+);agent_ms=(\d+);tts_ms=(\d+);reply_ms=(\d+)$");
        Assert.True(match.Success, timing.Text);
        long asr = long.Parse(match.Groups[1].Value), tts = long.Parse(match.Groups[3].Value), reply = long.Parse(match.Groups[4].Value);
        // The reply waits for the transcript and the first sentence's synthesis, so it is at least as long as either.
        Assert.True(reply >= asr && reply >= tts, timing.Text);
        var final = Assert.Single(caller.Events, e => e.Kind == PipelineEventKind.FinalTranscript);
        Assert.Equal(final.TurnId, timing.TurnId);

        foreach (string figure in PipelineMetrics.TurnFigures)
            Assert.Equal(1, metrics.TurnFigure(figure).Count);
        // The event carries whole milliseconds; the histogram the exact figure (within the millisecond either way of rounding).
        Assert.InRange(metrics.TurnFigure("reply").Sum, (reply - 1) / 1000.0, (reply + 1) / 1000.0);
        Assert.Equal(1, metrics.Turns(TurnOutcome.Completed));

        var text = new PrometheusText();
        metrics.WriteTo(text, "edgevoice_transceiver_");
        var samples = ExpositionParser.Parse(text.ToString());
        foreach (string stage in new[] { "decode", "vad", "asr", "agent", "tts", "encode" })
            Assert.True(samples.Value("edgevoice_transceiver_stage_seconds_count", ("stage", stage)) > 0, stage);
        Assert.Equal(1, samples.Value("edgevoice_transceiver_turn_latency_seconds_count", ("figure", "reply")));
        Assert.Equal(1, samples.Value("edgevoice_transceiver_turns_total", ("outcome", "completed")));
    }

    [Fact]
    public void Turn_timing_text_leaves_out_figures_a_turn_did_not_reach()
    {
        Assert.Equal("asr_ms=12;agent_ms=3;tts_ms=40;reply_ms=61",
            new TurnTiming(TimeSpan.FromMilliseconds(12.7), TimeSpan.FromMilliseconds(3), TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(61)).ToString());
        Assert.Equal("asr_ms=12;reply_ms=61", new TurnTiming(TimeSpan.FromMilliseconds(12), null, null, TimeSpan.FromMilliseconds(61)).ToString());
    }

    [Fact]
    public async Task Listener_serves_metrics_and_refuses_everything_else()
    {
        int renders = 0;
        await using var listener = MetricsListener.Start(new IPEndPoint(IPAddress.Loopback, 0),
            () => { renders++; return "# HELP x h\n# TYPE x gauge\nx 1\n"; }, output.WriteLine);
        var baseUri = new Uri($"http://{listener.LocalEndPoint}");

        using var ok = await Http.GetAsync(new Uri(baseUri, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", ok.Content.Headers.ContentType!.ToString());
        Assert.Equal(1, ExpositionParser.Parse(await ok.Content.ReadAsStringAsync()).Value("x"));

        using var other = await Http.GetAsync(new Uri(baseUri, "/"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var post = await Http.PostAsync(new Uri(baseUri, "/metrics"), new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal(1, renders);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "garbage\r\n\r\n", "400" },
        { "GET /metrics\r\n\r\n", "400" },
        { "GET /metrics HTTP/1.1\r\nX: " + new string('a', 9000) + "\r\n\r\n", "400" },
        { "GET /metrics\u0001 HTTP/1.1\r\n\r\n", "400" },
        { "GET /metrics?x=1 HTTP/1.0\r\n\r\n", "200" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Raw_requests_get_a_status_and_a_closed_connection(string request, string status)
    {
        await using var listener = MetricsListener.Start(new IPEndPoint(IPAddress.Loopback, 0), () => "# TYPE x gauge\nx 1\n", output.WriteLine);
        using var client = new TcpClient();
        await client.ConnectAsync(listener.LocalEndPoint);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        }
        catch (IOException)
        {
            // The listener may answer and close before an oversized request is fully written.
        }
        using var reader = new StreamReader(stream, Encoding.ASCII);
        string? first = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.StartsWith($"HTTP/1.1 {status} ", first);
        await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_silent_client_does_not_hold_up_a_scrape()
    {
        await using var listener = MetricsListener.Start(new IPEndPoint(IPAddress.Loopback, 0), () => "# TYPE x gauge\nx 1\n", output.WriteLine);
        using var silent = new TcpClient();
        await silent.ConnectAsync(listener.LocalEndPoint);
        using var ok = await Http.GetAsync(new Uri($"http://{listener.LocalEndPoint}/metrics"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
