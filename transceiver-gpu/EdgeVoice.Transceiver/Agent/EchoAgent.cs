using System.Runtime.CompilerServices;

namespace EdgeVoice.Transceiver.Agent;

/// <summary>The default agent: says back what it heard, as one sentence.</summary>
public sealed class EchoAgent : IAgent
{
    public string Name => "echo";

    public async IAsyncEnumerable<string> ReplyAsync(string userText, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.CompletedTask;
        yield return "You said " + userText.Trim().TrimEnd('.', '?', '!') + ".";
    }

    public void Dispose() { }
}
