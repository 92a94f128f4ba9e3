using EdgeVoice.Transceiver.Resampling;

namespace EdgeVoice.Transceiver.Tests;

public sealed class ResamplerTests
{
    private static float[] Run(PolyphaseResampler r, float[] input, int chunk)
    {
        var output = new List<float>();
        var buffer = new float[r.MaxOutput(chunk)];
        for (int i = 0; i < input.Length; i += chunk)
        {
            int n = r.Process(input.AsSpan(i, Math.Min(chunk, input.Length - i)), buffer);
            output.AddRange(buffer.AsSpan(0, n));
        }
        return output.ToArray();
    }

    [Theory]
    [InlineData(48_000, 16_000, 1000)]
    [InlineData(16_000, 48_000, 1000)]
    [InlineData(22_050, 48_000, 3000)]
    [InlineData(48_000, 22_050, 440)]
    public void In_band_tone_passes_with_high_snr(int from, int to, double hz)
    {
        var r = new PolyphaseResampler(from, to);
        var output = Run(r, Signals.Tone(hz, from, from), chunk: from / 50);
        Assert.InRange(output.Length, to - 2, to + 2);
        int skip = (int)(r.DelaySeconds * to) + 100;
        var (amplitude, snr) = Signals.FitTone(output.AsSpan(skip, output.Length - 2 * skip), hz, to);
        Assert.InRange(amplitude, 0.49, 0.51);
        Assert.True(snr > 70, $"SNR {snr:F1} dB");
    }

    [Theory]
    [InlineData(48_000, 16_000, 10_000)] // would alias to 6 kHz
    [InlineData(48_000, 16_000, 12_000)] // would alias to 4 kHz
    [InlineData(48_000, 22_050, 15_000)] // would alias to 7.05 kHz
    public void Tones_above_the_new_nyquist_are_removed(int from, int to, double hz)
    {
        var r = new PolyphaseResampler(from, to);
        var output = Run(r, Signals.Tone(hz, from, from, amplitude: 0.5), chunk: 960);
        int skip = (int)(r.DelaySeconds * to) + 100;
        double level = Signals.RmsDb(output.AsSpan(skip, output.Length - 2 * skip));
        double input = Signals.RmsDb(Signals.Tone(hz, from, from, 0.5));
        Assert.True(level - input < -70, $"alias at {level - input:F1} dB");
    }

    [Fact]
    public void Upsampling_images_are_removed()
    {
        // 16 kHz → 48 kHz: a 5 kHz tone must not leave images at 11 or 21 kHz.
        var r = new PolyphaseResampler(16_000, 48_000);
        var output = Run(r, Signals.Tone(5000, 16_000, 16_000), chunk: 320);
        int skip = 1000;
        var (_, snr) = Signals.FitTone(output.AsSpan(skip, output.Length - 2 * skip), 5000, 48_000);
        Assert.True(snr > 70, $"SNR {snr:F1} dB");
    }

    [Fact]
    public void Chunking_does_not_change_the_output()
    {
        var input = Signals.Tone(700, 48_000, 9600);
        var whole = Run(new PolyphaseResampler(48_000, 16_000), input, 9600);
        var pieces = Run(new PolyphaseResampler(48_000, 16_000), input, 7);
        Assert.Equal(whole.Length, pieces.Length);
        for (int i = 0; i < whole.Length; i++) Assert.Equal(whole[i], pieces[i], 5);
    }

    [Fact]
    public void Empty_input_yields_nothing()
    {
        var r = new PolyphaseResampler(48_000, 16_000);
        Assert.Equal(0, r.Process(ReadOnlySpan<float>.Empty, new float[4]));
    }
}
