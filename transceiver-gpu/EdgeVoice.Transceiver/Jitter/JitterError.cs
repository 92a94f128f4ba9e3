namespace EdgeVoice.Transceiver.Jitter;

/// <summary>Why the jitter buffer refused a frame.</summary>
public enum JitterError
{
    None = 0,
    Duplicate,
    TooLate,
    TooFarAhead,
    Full,
}
