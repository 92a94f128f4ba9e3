namespace EdgeVoice.Transceiver.Tts;

/// <summary>The embedded default voice: espeak-ng formant synthesis, no model weights.</summary>
public sealed class EspeakSynthesizer(string voice = "en-us+m3", int wordsPerMinute = 140) : ISpeechSynthesizer
{
    public string Name => "espeak-ng";
    public int SampleRate => EspeakNg.SampleRate;

    public Task<short[]> SynthesizeAsync(string text, CancellationToken cancellationToken) =>
        Task.Run(() => EspeakNg.Synthesize(text, voice, wordsPerMinute, cancellationToken), cancellationToken);

    public void Dispose() { }
}
