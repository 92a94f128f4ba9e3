namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>One Opus packet as it crosses the pipeline's edge: RTP sequence number, RTP timestamp (48 kHz), payload.</summary>
public readonly record struct MediaFrame(ushort Sequence, uint RtpTimestamp, ReadOnlyMemory<byte> Payload);
