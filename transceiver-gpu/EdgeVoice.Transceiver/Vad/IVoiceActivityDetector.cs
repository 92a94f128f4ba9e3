namespace EdgeVoice.Transceiver.Vad;

/// <summary>Scores fixed-size chunks of 16 kHz mono audio (floats in [-1, 1]) with a speech probability.</summary>
public interface IVoiceActivityDetector : IDisposable
{
    /// <summary>Samples per chunk at 16 kHz.</summary>
    int ChunkSamples { get; }

    float SpeechProbability(ReadOnlySpan<float> chunk);

    /// <summary>Forgets recurrent state between sessions or after long silence.</summary>
    void Reset();
}
