using EdgeVoice.Transceiver.Opus;

namespace EdgeVoice.Transceiver.Tests;

public sealed class OpusTests
{
    [Fact]
    public void Native_libopus_is_used_through_the_soname_resolver()
    {
        // libopus0 is a test dependency; the resolver maps Concentus' "opus" to libopus.so.0.
        Assert.Equal(OpusCodecKind.Native, new OpusFrameDecoder().Kind);
        Assert.Equal(OpusCodecKind.Native, new OpusFrameEncoder().Kind);
    }

    [Fact]
    public void Round_trip_keeps_a_tone()
    {
        var encoder = new OpusFrameEncoder(64_000);
        var decoder = new OpusFrameDecoder();
        var input = Signals.ToPcm16(Signals.Tone(440, 48_000, 48_000));
        var output = new short[input.Length];
        var packet = new byte[OpusFrameEncoder.MaxPacketBytes];
        for (int f = 0; f < input.Length / 960; f++)
        {
            int n = encoder.Encode(input.AsSpan(f * 960, 960), packet);
            Assert.InRange(n, 1, OpusFrameEncoder.MaxPacketBytes);
            Assert.True(decoder.TryDecode(packet.AsSpan(0, n), output.AsSpan(f * 960, 960), out var error), error.ToString());
        }
        // Skip the codec's start-up; Opus has a few ms of lookahead, so fit the tone rather than compare samples.
        var tail = Signals.ToFloat(output.AsSpan(9600));
        var (amplitude, snr) = Signals.FitTone(tail, 440, 48_000);
        Assert.InRange(amplitude, 0.4, 0.6);
        Assert.True(snr > 20, $"SNR {snr:F1} dB");
    }

    public static TheoryData<byte[], OpusError> MalformedPackets => new()
    {
        { [], OpusError.EmptyPacket },
        { new byte[OpusFrameDecoder.MaxPacketBytes + 1], OpusError.PacketTooLarge },
        // TOC code 3 (arbitrary frame count) with no count byte.
        { [0x03], OpusError.InvalidPacket },
        // Code 3, 48 frames of 20 ms: more than 120 ms.
        { [0x7B, 0x30], OpusError.InvalidPacket },
        // Code 1 (two equal frames) with an odd payload length.
        { [0x79, 0x01, 0x02, 0x03], OpusError.InvalidPacket },
        // Code 1 with an even payload decodes two 20 ms frames: 40 ms, refused.
        { [0x79, 0x01, 0x02], OpusError.WrongFrameSize },
        // A valid 10 ms CELT frame is decodable but not the 20 ms the pipeline runs on.
        { [0xE0, 0xFF, 0xFE], OpusError.WrongFrameSize },
    };

    [Theory]
    [MemberData(nameof(MalformedPackets))]
    public void Malformed_packets_are_refused_without_throwing(byte[] packet, OpusError expected)
    {
        var decoder = new OpusFrameDecoder();
        var pcm = new short[960];
        Assert.False(decoder.TryDecode(packet, pcm, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var decoder = new OpusFrameDecoder();
        var random = new Random(5);
        var pcm = new short[960];
        var packet = new byte[400];
        int decoded = 0;
        for (int i = 0; i < 3000; i++)
        {
            int n = random.Next(0, packet.Length);
            random.NextBytes(packet.AsSpan(0, n));
            if (decoder.TryDecode(packet.AsSpan(0, n), pcm, out _)) decoded++;
        }
        decoder.Conceal(pcm);
        Assert.True(decoded < 3000);
    }

    [Fact]
    public void In_band_fec_rebuilds_a_lost_frame_better_than_concealment()
    {
        var speech = Tts.EspeakNg.Synthesize("the quick brown fox jumps over the lazy dog", "en-us+m3", 140, CancellationToken.None);
        var pcm48 = Resampling.PolyphaseResampler.Convert(speech, Tts.EspeakNg.SampleRate, 48_000);
        var encoder = new OpusFrameEncoder(32_000, expectedLossPercent: 20);
        var packets = new List<byte[]>();
        var buffer = new byte[OpusFrameEncoder.MaxPacketBytes];
        for (int o = 0; o + 960 <= pcm48.Length; o += 960) packets.Add(buffer.AsSpan(0, encoder.Encode(pcm48.AsSpan(o, 960), buffer)).ToArray());

        double fecError = 0, plcError = 0;
        int recovered = 0;
        var reference = new short[960];
        var frame = new short[960];
        // Lose every 7th frame; compare each rebuilt frame with what a lossless decoder produced for it.
        var clean = new OpusFrameDecoder();
        var withFec = new OpusFrameDecoder();
        var withPlc = new OpusFrameDecoder();
        for (int i = 0; i < packets.Count - 1; i++)
        {
            clean.TryDecode(packets[i], reference, out _);
            if (i < 14 || i % 7 != 0)
            {
                withFec.TryDecode(packets[i], frame, out _);
                withPlc.TryDecode(packets[i], frame, out _);
                continue;
            }
            if (withFec.TryRecover(packets[i + 1], frame)) recovered++;
            fecError += Distance(reference, frame);
            withPlc.Conceal(frame);
            plcError += Distance(reference, frame);
        }
        Assert.True(recovered > 0, "no frame was rebuilt from FEC");
        Assert.True(fecError < plcError * 0.7, $"FEC error {fecError:E2} vs concealment {plcError:E2}");
        Assert.False(new OpusFrameDecoder().TryRecover([0x03], frame), "a malformed next packet falls back to concealment");

        static double Distance(short[] a, short[] b)
        {
            double sum = 0;
            for (int i = 0; i < a.Length; i++) sum += (double)(a[i] - b[i]) * (a[i] - b[i]);
            return sum;
        }
    }

    [Fact]
    public void Concealment_continues_a_tone_after_a_loss()
    {
        var encoder = new OpusFrameEncoder(64_000);
        var decoder = new OpusFrameDecoder();
        var input = Signals.ToPcm16(Signals.Tone(300, 48_000, 960 * 20));
        var pcm = new short[960];
        var packet = new byte[OpusFrameEncoder.MaxPacketBytes];
        for (int f = 0; f < 19; f++)
        {
            int n = encoder.Encode(input.AsSpan(f * 960, 960), packet);
            Assert.True(decoder.TryDecode(packet.AsSpan(0, n), pcm, out _));
        }
        decoder.Conceal(pcm);
        Assert.True(Signals.RmsDb(Signals.ToFloat(pcm)) > -20, "PLC should continue the tone, not play silence");
    }
}
