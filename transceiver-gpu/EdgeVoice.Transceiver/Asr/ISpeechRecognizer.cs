namespace EdgeVoice.Transceiver.Asr;

/// <summary>A speech recognizer for one session; one utterance at a time.</summary>
public interface ISpeechRecognizer : IDisposable
{
    string Name { get; }

    void StartUtterance();

    /// <summary>Feeds 16 kHz mono 16-bit audio of the current utterance.</summary>
    void AcceptAudio(ReadOnlySpan<short> pcm);

    /// <summary>The best hypothesis so far, where the engine can give one (null otherwise).</summary>
    string? Partial();

    /// <summary>Ends the utterance and returns its final transcript (empty when nothing was recognized).</summary>
    Task<string> FinishAsync(CancellationToken cancellationToken);
}
