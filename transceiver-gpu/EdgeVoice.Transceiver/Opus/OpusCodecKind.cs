namespace EdgeVoice.Transceiver.Opus;

/// <summary>Which Opus implementation Concentus picked.</summary>
public enum OpusCodecKind
{
    Managed,
    Native,
}
