using System.Collections.Concurrent;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Tunnel.Metrics;

namespace EdgeVoice.Transceiver.Metrics;

/// <summary>
/// Latency histograms and turn counts across every session of the process: each stage call (decode, VAD, ASR chunk,
/// TTS sentence …) and each turn's figures (final transcript, agent first text, first sentence synthesized, reply).
/// </summary>
public sealed class PipelineMetrics
{
    /// <summary>The per-turn figures, in the order of the turn-timing event's text.</summary>
    public static readonly string[] TurnFigures = ["asr", "agent", "tts", "reply"];

    private readonly ConcurrentDictionary<string, Histogram> _stages = new(StringComparer.Ordinal);
    private readonly Histogram[] _turnFigures = TurnFigures.Select(_ => new Histogram(Histogram.LatencySeconds)).ToArray();
    private readonly long[] _outcomes = new long[Enum.GetValues<TurnOutcome>().Length];

    public void ObserveStage(string stage, TimeSpan elapsed) =>
        _stages.GetOrAdd(stage, _ => new Histogram(Histogram.LatencySeconds)).Observe(elapsed);

    /// <summary>A turn's figures once its first audio is ready; figures it did not reach are null.</summary>
    public void ObserveTurn(in TurnTiming timing)
    {
        if (timing.Asr is { } asr) _turnFigures[0].Observe(asr);
        if (timing.Agent is { } agent) _turnFigures[1].Observe(agent);
        if (timing.Tts is { } tts) _turnFigures[2].Observe(tts);
        _turnFigures[3].Observe(timing.Reply);
    }

    public void CountTurn(TurnOutcome outcome) => Interlocked.Increment(ref _outcomes[(int)outcome]);

    public long Turns(TurnOutcome outcome) => Interlocked.Read(ref _outcomes[(int)outcome]);

    public HistogramSnapshot TurnFigure(string figure) => _turnFigures[Array.IndexOf(TurnFigures, figure)].Snapshot();

    public void WriteTo(PrometheusText text, string prefix)
    {
        text.Family(prefix + "stage_seconds", MetricType.Histogram, "Wall time of each pipeline stage call (decode and resample per frame, vad per chunk, asr per chunk and per final, agent per text piece, tts per sentence, encode per frame).");
        foreach (var (stage, histogram) in _stages.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            text.Histogram(histogram.Snapshot(), new MetricLabel("stage", stage));
        text.Family(prefix + "turn_latency_seconds", MetricType.Histogram, "Per turn: asr = end of turn to final transcript, agent = to the agent's first text, tts = first sentence synthesized, reply = end of turn to first agent audio.");
        for (int i = 0; i < TurnFigures.Length; i++)
            text.Histogram(_turnFigures[i].Snapshot(), new MetricLabel("figure", TurnFigures[i]));
        text.Family(prefix + "turns_total", MetricType.Counter, "Caller turns finished, by outcome.");
        foreach (var outcome in Enum.GetValues<TurnOutcome>())
            text.Sample(Turns(outcome), new MetricLabel("outcome", outcome switch
            {
                TurnOutcome.Completed => "completed",
                TurnOutcome.Interrupted => "interrupted",
                TurnOutcome.NothingHeard => "nothing_heard",
                _ => "failed",
            }));
    }
}

/// <summary>One turn's latency figures (wall clock).</summary>
/// <param name="Asr">End of the caller's turn to the final transcript.</param>
/// <param name="Agent">The agent call to its first text.</param>
/// <param name="Tts">Synthesis of the first sentence.</param>
/// <param name="Reply">End of the caller's turn to the first agent audio frame.</param>
public readonly record struct TurnTiming(TimeSpan? Asr, TimeSpan? Agent, TimeSpan? Tts, TimeSpan Reply)
{
    /// <summary>The turn-timing event's text: <c>asr_ms=..;agent_ms=..;tts_ms=..;reply_ms=..</c> (figures not reached left out).</summary>
    public override string ToString()
    {
        var parts = new List<string>(4);
        if (Asr is { } asr) parts.Add($"asr_ms={(long)asr.TotalMilliseconds}");
        if (Agent is { } agent) parts.Add($"agent_ms={(long)agent.TotalMilliseconds}");
        if (Tts is { } tts) parts.Add($"tts_ms={(long)tts.TotalMilliseconds}");
        parts.Add($"reply_ms={(long)Reply.TotalMilliseconds}");
        return string.Join(';', parts);
    }
}
