namespace EdgeVoice.Transceiver.Opus;

/// <summary>Why an Opus packet could not be decoded.</summary>
public enum OpusError
{
    None = 0,
    EmptyPacket,
    PacketTooLarge,
    InvalidPacket,
    WrongFrameSize,
}
