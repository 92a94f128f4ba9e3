using System.Collections.Concurrent;
using System.Diagnostics;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>Wall-clock time spent in each stage (summed over the session), for simulate and benchmarks.</summary>
/// <param name="metrics">Where each stage call is also observed as a latency histogram (the process's /metrics); null for none.</param>
public sealed class StageTimings(Metrics.PipelineMetrics? metrics = null)
{
    private readonly ConcurrentDictionary<string, (long Ticks, long Count)> _totals = new();

    public void Add(string stage, long startTimestamp)
    {
        long elapsed = Stopwatch.GetTimestamp() - startTimestamp;
        _totals.AddOrUpdate(stage, (elapsed, 1), (_, t) => (t.Ticks + elapsed, t.Count + 1));
        metrics?.ObserveStage(stage, TimeSpan.FromSeconds(elapsed / (double)Stopwatch.Frequency));
    }

    public IReadOnlyList<(string Stage, TimeSpan Total, long Count)> Snapshot() =>
        _totals.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Key, TimeSpan.FromSeconds(kv.Value.Ticks / (double)Stopwatch.Frequency), kv.Value.Count))
            .ToList();

    public TimeSpan Total(string stage) =>
        _totals.TryGetValue(stage, out var t) ? TimeSpan.FromSeconds(t.Ticks / (double)Stopwatch.Frequency) : TimeSpan.Zero;
}
