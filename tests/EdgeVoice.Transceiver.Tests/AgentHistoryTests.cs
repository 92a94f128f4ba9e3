using System.Text.Json;
using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Transceiver.Tests;

/// <summary>A call moved from another transceiver: the agent starts from the conversation so far.</summary>
public sealed class AgentHistoryTests
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    [Fact]
    public async Task The_chat_agent_sends_prior_turns_first_within_max_history()
    {
        await using var server = new LocalChatServer();
        var agent = new OpenAiChatAgent(Http, new OpenAiChatSettings(server.BaseUrl, "tiny-model", null, "Be brief.", MaxHistory: 4));
        agent.TakePriorTurns(
        [
            new(ConversationRole.User, "oldest question"),
            new(ConversationRole.Agent, "oldest answer"),
            new(ConversationRole.User, "call my mother"),
            new(ConversationRole.Agent, "Calling your mother."),
            new(ConversationRole.User, "is it going to rain"),
        ]);
        await foreach (var _ in agent.ReplyAsync("what time is it", CancellationToken.None)) { }
        using var json = JsonDocument.Parse(server.Requests.Single().Body);
        var messages = json.RootElement.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        // max_history 4: the newest four prior turns, oldest first, then the new question.
        Assert.Equal([("system", "Be brief."), ("assistant", "oldest answer"), ("user", "call my mother"), ("assistant", "Calling your mother."),
            ("user", "is it going to rain"), ("user", "what time is it")], messages);
    }

    [Fact]
    public async Task The_echo_agent_counts_prior_turns_and_answers_as_before()
    {
        using var agent = new EchoAgent();
        agent.TakePriorTurns([new(ConversationRole.User, "call my mother"), new(ConversationRole.Agent, "You said call my mother.")]);
        Assert.Equal(2, agent.PriorTurns);
        var reply = new List<string>();
        await foreach (var piece in agent.ReplyAsync("what time is it", CancellationToken.None)) reply.Add(piece);
        Assert.Equal(["You said what time is it."], reply);
    }
}
