namespace EdgeVoice.Transceiver.Tests;

/// <summary>Test signals and measurements shared by the audio tests.</summary>
internal static class Signals
{
    public static float[] Tone(double hz, int rate, int samples, double amplitude = 0.5)
    {
        var x = new float[samples];
        for (int i = 0; i < samples; i++) x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / rate));
        return x;
    }

    /// <summary>Loud white noise at 16 kHz whose level swings at 4 Hz like syllables (fixed seed): the VAD takes it for speech.</summary>
    public static short[] SpeechLikeNoise(TimeSpan length, int seed = 9)
    {
        var random = new Random(seed);
        var noise = new short[(int)(16_000 * length.TotalSeconds)];
        for (int i = 0; i < noise.Length; i++) noise[i] = (short)(random.Next(-8000, 8000) * (0.6 + 0.4 * Math.Sin(i * 2 * Math.PI * 4 / 16_000)));
        return noise;
    }

    public static short[] ToPcm16(ReadOnlySpan<float> x)
    {
        var y = new short[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = (short)Math.Clamp(Math.Round(x[i] * 32767), short.MinValue, short.MaxValue);
        return y;
    }

    public static float[] ToFloat(ReadOnlySpan<short> x)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / 32768f;
        return y;
    }

    /// <summary>Fits a sine of the given frequency by least squares; returns (fitted amplitude, SNR in dB of the residual).</summary>
    public static (double Amplitude, double SnrDb) FitTone(ReadOnlySpan<float> x, double hz, int rate)
    {
        double ss = 0, sc = 0, cc = 0, xs = 0, xc = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = 2 * Math.PI * hz * i / rate, s = Math.Sin(w), c = Math.Cos(w);
            ss += s * s; cc += c * c; sc += s * c; xs += x[i] * s; xc += x[i] * c;
        }
        double det = ss * cc - sc * sc;
        double a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det;
        double signal = 0, noise = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double w = 2 * Math.PI * hz * i / rate;
            double fit = a * Math.Sin(w) + b * Math.Cos(w);
            signal += fit * fit;
            noise += (x[i] - fit) * (x[i] - fit);
        }
        return (Math.Sqrt(a * a + b * b), 10 * Math.Log10(signal / Math.Max(noise, 1e-30)));
    }

    public static double RmsDb(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float s in x) sum += s * s;
        return 10 * Math.Log10(sum / Math.Max(1, x.Length) + 1e-30);
    }
}
