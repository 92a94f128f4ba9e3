namespace EdgeVoice.Transceiver.Vad;

/// <summary>
/// Fallback VAD: level in dBFS against a fixed threshold and a tracked noise floor, mapped to a probability.
/// Needs no model; fooled by loud noise, which is why Silero is preferred.
/// </summary>
public sealed class EnergyVad : IVoiceActivityDetector
{
    private readonly double _thresholdDb;
    private readonly double _marginDb;
    private double _floorDb = -90;

    /// <param name="thresholdDb">Level below which audio is never speech (dBFS).</param>
    /// <param name="marginDb">How far above the tracked noise floor speech must be.</param>
    public EnergyVad(double thresholdDb = -40, double marginDb = 12, int chunkSamples = 320)
    {
        _thresholdDb = thresholdDb;
        _marginDb = marginDb;
        ChunkSamples = chunkSamples;
    }

    public int ChunkSamples { get; }

    public float SpeechProbability(ReadOnlySpan<float> chunk)
    {
        if (chunk.IsEmpty) return 0;
        double sum = 0;
        foreach (float s in chunk) sum += s * s;
        double db = 10 * Math.Log10(sum / chunk.Length + 1e-12);
        // Floor falls fast and rises slowly, so it follows background noise but not speech.
        _floorDb = db < _floorDb ? db : _floorDb + 0.02 * (db - _floorDb);
        double gate = Math.Max(_thresholdDb, _floorDb + _marginDb);
        return (float)Math.Clamp((db - gate) / 12 + 0.5, 0, 1);
    }

    public void Reset() => _floorDb = -90;

    public void Dispose() { }
}
