using Concentus;

namespace EdgeVoice.Transceiver.Opus;

/// <summary>Decodes one Opus packet per 20 ms into 48 kHz mono PCM, concealing lost packets.</summary>
public sealed class OpusFrameDecoder
{
    public const int SampleRate = 48_000;
    public const int FrameSamples = 960;
    /// <summary>RFC 6716 §3.4 R2: a packet is at most 1275 bytes per frame, 120 ms at most (6 frames).</summary>
    public const int MaxPacketBytes = 1275 * 6;
    private const int MaxDecodedSamples = SampleRate * 120 / 1000;

    private readonly IOpusDecoder _decoder;
    private readonly short[] _scratch = new short[MaxDecodedSamples];

    public OpusFrameDecoder()
    {
        OpusNativeLibrary.Install();
        _decoder = OpusCodecFactory.CreateDecoder(SampleRate, 1);
        Kind = _decoder.GetType().Name.Contains("Native", StringComparison.Ordinal) ? OpusCodecKind.Native : OpusCodecKind.Managed;
    }

    public OpusCodecKind Kind { get; }

    /// <summary>Decodes a packet that must carry exactly one 20 ms frame of audio into <paramref name="pcm"/> (960 samples).</summary>
    public bool TryDecode(ReadOnlySpan<byte> packet, Span<short> pcm, out OpusError error)
    {
        if (packet.IsEmpty) { error = OpusError.EmptyPacket; return false; }
        if (packet.Length > MaxPacketBytes) { error = OpusError.PacketTooLarge; return false; }
        int samples;
        try
        {
            samples = _decoder.Decode(packet, _scratch, MaxDecodedSamples, false);
        }
        catch (Exception e) when (e is OpusException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            // Concentus reports malformed packets by throwing; a bad packet must never end the session.
            error = OpusError.InvalidPacket;
            return false;
        }
        if (samples < 0) { error = OpusError.InvalidPacket; return false; }
        if (samples != FrameSamples) { error = OpusError.WrongFrameSize; return false; }
        _scratch.AsSpan(0, FrameSamples).CopyTo(pcm);
        error = OpusError.None;
        return true;
    }

    /// <summary>
    /// Recovers a lost frame from the in-band FEC (LBRR) data that the <em>next</em> packet carries, when the sender
    /// enabled it (browsers do: <c>useinbandfec=1</c>); falls back to <see cref="Conceal"/> otherwise.
    /// </summary>
    public bool TryRecover(ReadOnlySpan<byte> nextPacket, Span<short> pcm)
    {
        if (!nextPacket.IsEmpty && nextPacket.Length <= MaxPacketBytes)
        {
            try
            {
                if (_decoder.Decode(nextPacket, _scratch, FrameSamples, true) == FrameSamples)
                {
                    _scratch.AsSpan(0, FrameSamples).CopyTo(pcm);
                    return true;
                }
            }
            catch (Exception e) when (e is OpusException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
            {
                // A malformed next packet: conceal instead.
            }
        }
        Conceal(pcm);
        return false;
    }

    /// <summary>Packet loss concealment: synthesizes 20 ms that continue the previous audio.</summary>
    public void Conceal(Span<short> pcm)
    {
        try
        {
            int samples = _decoder.Decode(ReadOnlySpan<byte>.Empty, _scratch, FrameSamples, false);
            if (samples == FrameSamples) { _scratch.AsSpan(0, FrameSamples).CopyTo(pcm); return; }
        }
        catch (Exception e) when (e is OpusException or ArgumentException or IndexOutOfRangeException)
        {
            // Fall through to silence: concealment is best effort.
        }
        pcm[..FrameSamples].Clear();
    }
}
