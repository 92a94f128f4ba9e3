namespace EdgeVoice.Transceiver.Tts;

/// <summary>Turns one sentence of text into mono 16-bit PCM at <see cref="SampleRate"/>.</summary>
public interface ISpeechSynthesizer : IDisposable
{
    string Name { get; }
    int SampleRate { get; }

    /// <summary>Synthesizes <paramref name="text"/>; cancellation stops synthesis early (the partial audio is dropped).</summary>
    Task<short[]> SynthesizeAsync(string text, CancellationToken cancellationToken);
}
