namespace EdgeVoice.Transceiver.Agent;

/// <summary>The conversational brain of one session: streams its reply to each user turn as text pieces.</summary>
public interface IAgent : IDisposable
{
    string Name { get; }

    /// <summary>Streams the reply to <paramref name="userText"/>; the agent keeps the conversation history itself.</summary>
    IAsyncEnumerable<string> ReplyAsync(string userText, CancellationToken cancellationToken);
}
