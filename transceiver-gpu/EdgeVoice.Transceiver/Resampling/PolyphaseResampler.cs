namespace EdgeVoice.Transceiver.Resampling;

/// <summary>
/// Rational-ratio resampler (L/M) with a Kaiser-windowed-sinc anti-aliasing low-pass, evaluated polyphase:
/// each output sample costs one phase's taps. Streaming: history carries across calls; no allocation once warmed up.
/// </summary>
public sealed class PolyphaseResampler
{
    private readonly int _up;
    private readonly int _down;
    private readonly int _tapsPerPhase;
    private readonly float[] _phases;
    private float[] _buffer;
    private int _length;        // samples held in _buffer
    private long _bufferStart;  // absolute input index of _buffer[0]
    private long _nextOutput;   // absolute output index of the next sample

    /// <param name="zeroCrossings">Sinc zero crossings per side, at the lower of the two rates (longer = sharper transition).</param>
    /// <param name="rolloff">Cutoff as a fraction of the lower Nyquist frequency.</param>
    /// <param name="kaiserBeta">Kaiser window shape; 8.6 gives about 90 dB stopband.</param>
    public PolyphaseResampler(int inputRate, int outputRate, int zeroCrossings = 32, double rolloff = 0.9, double kaiserBeta = 8.6)
    {
        if (inputRate <= 0 || outputRate <= 0) throw new ArgumentOutOfRangeException(nameof(inputRate), "rates must be positive");
        InputRate = inputRate;
        OutputRate = outputRate;
        int g = Gcd(inputRate, outputRate);
        _up = outputRate / g;
        _down = inputRate / g;
        int spacing = Math.Max(_up, _down);
        int n = 2 * zeroCrossings * spacing + 1;
        _tapsPerPhase = (n + _up - 1) / _up;
        double center = (n - 1) / 2.0;
        // Coefficients depend only on the ratio and shape: built once per process and shared by every session.
        _phases = Filters.GetOrAdd((_up, _down, zeroCrossings, rolloff, kaiserBeta), _ => Design(_up, spacing, n, _tapsPerPhase, rolloff, kaiserBeta));
        DelaySeconds = center / ((double)inputRate * _up);
        _buffer = new float[_tapsPerPhase + 4096];
        Reset();
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int, int, double, double), float[]> Filters = new();

    private static float[] Design(int up, int spacing, int n, int tapsPerPhase, double rolloff, double kaiserBeta)
    {
        var h = new double[tapsPerPhase * up];
        double cutoff = 0.5 / spacing * rolloff; // cycles per sample at the upsampled rate
        double center = (n - 1) / 2.0;
        double i0Beta = BesselI0(kaiserBeta);
        for (int k = 0; k < n; k++)
        {
            double t = k - center;
            double sinc = t == 0 ? 2 * cutoff : Math.Sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
            double r = t / center;
            double window = BesselI0(kaiserBeta * Math.Sqrt(Math.Max(0, 1 - r * r))) / i0Beta;
            h[k] = sinc * window * up; // gain L restores the level lost to zero-stuffing
        }
        // Phase p, reversed so its taps line up with the input oldest-first: [p * T + (T - 1 - j)] = h[p + j * L].
        var phases = new float[up * tapsPerPhase];
        for (int p = 0; p < up; p++)
            for (int j = 0; j < tapsPerPhase; j++)
                phases[p * tapsPerPhase + tapsPerPhase - 1 - j] = (float)h[p + j * up];
        return phases;
    }

    public int InputRate { get; }
    public int OutputRate { get; }

    /// <summary>Group delay of the filter (linear phase).</summary>
    public double DelaySeconds { get; }

    public void Reset()
    {
        // Start with a zero history so the first outputs are well defined.
        _length = _tapsPerPhase - 1;
        Array.Clear(_buffer, 0, _length);
        _bufferStart = -(_tapsPerPhase - 1);
        _nextOutput = 0;
    }

    /// <summary>An upper bound on the samples <see cref="Process(ReadOnlySpan{float}, Span{float})"/> writes for this input length.</summary>
    public int MaxOutput(int inputLength) => (int)(((long)inputLength + 1) * _up / _down) + 2;

    public int Process(ReadOnlySpan<float> input, Span<float> output)
    {
        Append(input);
        long available = _bufferStart + _length; // absolute index one past the newest input
        int written = 0;
        while (written < output.Length)
        {
            long position = _nextOutput * _down;
            long newest = position / _up;
            if (newest >= available) break;
            int phase = (int)(position % _up);
            int offset = (int)(newest - _bufferStart);
            output[written++] = Dot(_phases.AsSpan(phase * _tapsPerPhase, _tapsPerPhase), _buffer.AsSpan(offset - _tapsPerPhase + 1, _tapsPerPhase));
            _nextOutput++;
        }
        Compact();
        return written;
    }

    /// <summary>16-bit convenience: converts, resamples, saturates.</summary>
    public int Process(ReadOnlySpan<short> input, Span<short> output, Span<float> scratch)
    {
        int n = Math.Min(input.Length, scratch.Length);
        for (int i = 0; i < n; i++) scratch[i] = input[i] / 32768f;
        Span<float> outFloat = scratch[n..];
        int written = Process(scratch[..n], outFloat[..Math.Min(outFloat.Length, output.Length)]);
        for (int i = 0; i < written; i++) output[i] = (short)Math.Clamp(MathF.Round(outFloat[i] * 32768f), short.MinValue, short.MaxValue);
        return written;
    }

    /// <summary>Resamples a whole clip, compensating the filter delay so output sample 0 lines up with input sample 0.</summary>
    public static short[] Convert(ReadOnlySpan<short> pcm, int inputRate, int outputRate)
    {
        if (inputRate == outputRate) return pcm.ToArray();
        var r = new PolyphaseResampler(inputRate, outputRate);
        int pad = (int)Math.Ceiling(r.DelaySeconds * inputRate) + 1;
        var input = new float[pcm.Length + pad];
        for (int i = 0; i < pcm.Length; i++) input[i] = pcm[i] / 32768f;
        var output = new float[r.MaxOutput(input.Length)];
        int n = r.Process(input, output);
        int skip = Math.Min(n, (int)Math.Round(r.DelaySeconds * outputRate));
        int length = Math.Min(n - skip, (int)((long)pcm.Length * outputRate / inputRate));
        var result = new short[length];
        for (int i = 0; i < length; i++) result[i] = (short)Math.Clamp(MathF.Round(output[skip + i] * 32768f), short.MinValue, short.MaxValue);
        return result;
    }

    private void Append(ReadOnlySpan<float> input)
    {
        if (_length + input.Length > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + input.Length));
        input.CopyTo(_buffer.AsSpan(_length));
        _length += input.Length;
    }

    private void Compact()
    {
        // Keep only the history the next output still needs.
        long oldestNeeded = _nextOutput * _down / _up - (_tapsPerPhase - 1);
        int drop = (int)Math.Clamp(oldestNeeded - _bufferStart, 0, _length);
        if (drop == 0) return;
        Array.Copy(_buffer, drop, _buffer, 0, _length - drop);
        _length -= drop;
        _bufferStart += drop;
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = System.Numerics.Vector<float>.Zero;
        int width = System.Numerics.Vector<float>.Count, i = 0;
        for (; i <= a.Length - width; i += width)
            sum += new System.Numerics.Vector<float>(a[i..]) * new System.Numerics.Vector<float>(b[i..]);
        float acc = System.Numerics.Vector.Sum(sum);
        for (; i < a.Length; i++) acc += a[i] * b[i];
        return acc;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    private static double BesselI0(double x)
    {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 50; k++)
        {
            term *= q / (k * k);
            sum += term;
            if (term < 1e-12 * sum) break;
        }
        return sum;
    }
}
