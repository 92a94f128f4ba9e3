namespace EdgeVoice.Tunnel.Metrics;

/// <summary>What a <see cref="Histogram"/> held at one moment: per-bucket (not cumulative) counts, their sum and count.</summary>
/// <param name="BucketCounts">Observations in each bucket alone (≤ its bound, &gt; the previous one); the +Inf bucket is Count minus their sum.</param>
public readonly record struct HistogramSnapshot(IReadOnlyList<double> UpperBounds, IReadOnlyList<long> BucketCounts, long Count, double Sum);

/// <summary>
/// A Prometheus histogram with fixed bucket bounds; <see cref="Observe"/> is lock-free and allocation-free, safe from any thread.
/// </summary>
public sealed class Histogram
{
    /// <summary>Seconds, from 5 ms to 10 s: the range of pipeline stages and turn latencies.</summary>
    public static readonly double[] LatencySeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly double[] _bounds;
    // One more slot than bounds: observations above the last bound (the +Inf bucket).
    private readonly long[] _counts;
    private long _sumBits;

    public Histogram(ReadOnlySpan<double> upperBounds)
    {
        if (upperBounds.Length == 0)
            throw new ArgumentException("a histogram needs at least one bucket bound", nameof(upperBounds));
        for (int i = 0; i < upperBounds.Length; i++)
        {
            if (!double.IsFinite(upperBounds[i]))
                throw new ArgumentException("bucket bounds are finite (+Inf is always added)", nameof(upperBounds));
            if (i > 0 && upperBounds[i] <= upperBounds[i - 1])
                throw new ArgumentException("bucket bounds must increase strictly", nameof(upperBounds));
        }
        _bounds = upperBounds.ToArray();
        _counts = new long[_bounds.Length + 1];
    }

    public void Observe(double value)
    {
        if (double.IsNaN(value))
            return;
        int bucket = _bounds.Length;
        for (int i = 0; i < _bounds.Length; i++)
        {
            if (value <= _bounds[i])
            {
                bucket = i;
                break;
            }
        }
        Interlocked.Increment(ref _counts[bucket]);
        long seen = Volatile.Read(ref _sumBits);
        while (true)
        {
            long next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + value);
            long actual = Interlocked.CompareExchange(ref _sumBits, next, seen);
            if (actual == seen) break;
            seen = actual;
        }
    }

    public void Observe(TimeSpan elapsed) => Observe(elapsed.TotalSeconds);

    /// <summary>The counts now; Count is the sum of the buckets read, so the +Inf bucket always equals Count.</summary>
    public HistogramSnapshot Snapshot()
    {
        var counts = new long[_bounds.Length];
        long total = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            long c = Volatile.Read(ref _counts[i]);
            if (i < counts.Length) counts[i] = c;
            total += c;
        }
        return new HistogramSnapshot(_bounds, counts, total, BitConverter.Int64BitsToDouble(Volatile.Read(ref _sumBits)));
    }
}
