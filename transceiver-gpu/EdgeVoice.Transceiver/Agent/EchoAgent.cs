using System.Runtime.CompilerServices;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Transceiver.Agent;

/// <summary>The default agent: says back what it heard, as one sentence.</summary>
public sealed class EchoAgent : IAgent
{
    public string Name => "echo";

    /// <summary>Turns of the call before it came to this agent: echo needs no context, it only keeps the count.</summary>
    public int PriorTurns { get; private set; }

    public void TakePriorTurns(IReadOnlyList<ConversationTurn> turns) => PriorTurns += turns.Count;

    public async IAsyncEnumerable<string> ReplyAsync(string userText, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.CompletedTask;
        yield return "You said " + userText.Trim().TrimEnd('.', '?', '!') + ".";
    }

    public void Dispose() { }
}
