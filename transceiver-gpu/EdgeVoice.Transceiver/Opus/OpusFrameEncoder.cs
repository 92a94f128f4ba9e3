using Concentus;
using Concentus.Enums;

namespace EdgeVoice.Transceiver.Opus;

/// <summary>Encodes 20 ms of 48 kHz mono PCM into one Opus packet (VoIP mode).</summary>
public sealed class OpusFrameEncoder
{
    public const int MaxPacketBytes = 1275;
    private readonly IOpusEncoder _encoder;

    /// <param name="expectedLossPercent">Above zero, in-band FEC is sent so the receiver can rebuild a lost frame from the next one.</param>
    public OpusFrameEncoder(int bitrate = 32_000, int expectedLossPercent = 0)
    {
        OpusNativeLibrary.Install();
        _encoder = OpusCodecFactory.CreateEncoder(OpusFrameDecoder.SampleRate, 1, OpusApplication.OPUS_APPLICATION_VOIP);
        _encoder.Bitrate = bitrate;
        if (expectedLossPercent > 0)
        {
            _encoder.UseInbandFEC = true;
            _encoder.PacketLossPercent = expectedLossPercent;
        }
        Kind = _encoder.GetType().Name.Contains("Native", StringComparison.Ordinal) ? OpusCodecKind.Native : OpusCodecKind.Managed;
    }

    public OpusCodecKind Kind { get; }

    /// <summary>Encodes exactly 960 samples; returns the packet length written to <paramref name="packet"/>.</summary>
    public int Encode(ReadOnlySpan<short> pcm, Span<byte> packet)
    {
        if (pcm.Length != OpusFrameDecoder.FrameSamples)
            throw new ArgumentException($"an Opus frame here is {OpusFrameDecoder.FrameSamples} samples, got {pcm.Length}", nameof(pcm));
        return _encoder.Encode(pcm, OpusFrameDecoder.FrameSamples, packet, packet.Length);
    }
}
