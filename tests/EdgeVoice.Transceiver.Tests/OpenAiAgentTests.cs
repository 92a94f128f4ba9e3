using System.Text.Json;
using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class OpenAiAgentTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    private static OpenAiChatAgent Agent(LocalChatServer server, string? key = "test-key") =>
        new(Http, new OpenAiChatSettings(server.BaseUrl, "tiny-model", key, "Be brief.", MaxHistory: 4));

    [Fact]
    public async Task Streams_tokens_and_sends_model_prompt_key_and_history()
    {
        await using var server = new LocalChatServer();
        var agent = Agent(server);
        var pieces = new List<string>();
        await foreach (var p in agent.ReplyAsync("what is the answer", CancellationToken.None)) pieces.Add(p);
        Assert.Equal(server.Tokens, pieces);

        var chunker = new SentenceChunker();
        var sentences = pieces.SelectMany(chunker.Add).ToList();
        if (chunker.Flush() is { } rest) sentences.Add(rest);
        Assert.Equal(["Hello there.", "The answer is forty two.", "Goodbye."], sentences);

        await foreach (var _ in agent.ReplyAsync("and again", CancellationToken.None)) { }
        Assert.Equal(2, server.Requests.Count);
        var (path, authorization, body) = server.Requests[1];
        Assert.Equal("/v1/chat/completions", path);
        Assert.Equal("Bearer test-key", authorization);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("tiny-model", json.RootElement.GetProperty("model").GetString());
        Assert.True(json.RootElement.GetProperty("stream").GetBoolean());
        var messages = json.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal([("system", "Be brief."), ("user", "what is the answer"), ("assistant", string.Concat(server.Tokens)), ("user", "and again")], messages);
    }

    [Theory]
    [InlineData(LocalChatServer.Mode.Error, "500")]
    [InlineData(LocalChatServer.Mode.Garbage, "malformed JSON")]
    public async Task Server_errors_surface_as_exceptions(LocalChatServer.Mode mode, string expected)
    {
        await using var server = new LocalChatServer { Behaviour = mode };
        var e = await Assert.ThrowsAsync<HttpRequestException>(async () => { await foreach (var _ in Agent(server).ReplyAsync("hi", CancellationToken.None)) { } });
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(LocalChatServer.Mode.Error, "agent failed")]
    [InlineData(LocalChatServer.Mode.Stall, "agent stalled")]
    public async Task A_failing_or_stalling_agent_gets_a_spoken_apology_and_the_session_survives(LocalChatServer.Mode mode, string reason)
    {
        await using var server = new LocalChatServer { Behaviour = mode };
        var options = PipelineTests.Offline with { AgentFirstTokenTimeout = TimeSpan.FromSeconds(5), AgentStallTimeout = TimeSpan.FromMilliseconds(300) };
        await using var pipeline = VoicePipeline.Start(PipelineTests.EmbeddedDefault(Agent(server)), options, output.WriteLine);
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(Speech.Say("what is your name"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        server.Behaviour = LocalChatServer.Mode.Stream;
        await caller.SpeakAsync(Speech.Say("where are you from"), EspeakNg.SampleRate);
        Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)));
        await caller.FinishAsync();

        foreach (var e in caller.Events.Where(e => e.Kind != PipelineEventKind.PartialTranscript)) output.WriteLine(e.ToString());
        var finals = caller.Events.Where(e => e.Kind == PipelineEventKind.FinalTranscript).ToList();
        Assert.Equal(2, finals.Count);
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.TurnError && e.TurnId == finals[0].TurnId && e.Text!.StartsWith(reason));
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.AgentText && e.TurnId == finals[0].TurnId && e.Text == pipeline.Options.Apology);
        var apology = caller.DecodeAgentAudio(finals[0].TurnId);
        Assert.True(apology.Length > 48_000, "the apology is spoken");
        // The next turn is answered normally.
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.AgentText && e.TurnId == finals[1].TurnId && e.Text == "The answer is forty two.");
        Assert.NotEmpty(caller.DecodeAgentAudio(finals[1].TurnId));
    }
}
