using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Transceiver.Agent;

/// <summary>The conversational brain of one session: streams its reply to each user turn as text pieces.</summary>
public interface IAgent : IDisposable
{
    string Name { get; }

    /// <summary>Streams the reply to <paramref name="userText"/>; the agent keeps the conversation history itself.</summary>
    IAsyncEnumerable<string> ReplyAsync(string userText, CancellationToken cancellationToken);

    /// <summary>
    /// Seeds the history with the turns of the call so far, before the first reply: the call moved here from another
    /// transceiver (failover or drain). Oldest first.
    /// </summary>
    void TakePriorTurns(IReadOnlyList<ConversationTurn> turns);
}
