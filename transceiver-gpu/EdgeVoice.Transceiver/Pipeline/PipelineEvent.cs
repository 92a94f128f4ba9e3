namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>What the session is doing, as the caller would perceive it.</summary>
public enum SessionState
{
    Listening,
    Thinking,
    Speaking,
    Interrupted,
}

public enum PipelineEventKind
{
    PartialTranscript,
    FinalTranscript,
    AgentText,
    StateChanged,
    /// <summary>Something went wrong inside a turn (agent error, stall, engine failure); the session goes on.</summary>
    TurnError,
    /// <summary>A turn's latency figures, when its first agent audio is ready (text: <see cref="Metrics.TurnTiming"/>).</summary>
    TurnTiming,
}

/// <summary>An event out of the pipeline. <see cref="At"/> is media time (20 ms per caller frame), so it is the same offline and live.</summary>
public sealed record PipelineEvent(PipelineEventKind Kind, TimeSpan At, int TurnId, string? Text = null, SessionState? State = null)
{
    public override string ToString() => Kind == PipelineEventKind.StateChanged
        ? $"[{At.TotalSeconds,7:F2}s] turn {TurnId} state {State}"
        : $"[{At.TotalSeconds,7:F2}s] turn {TurnId} {Kind}: {Text}";
}

/// <summary>One 20 ms Opus frame of agent speech, tagged with its turn and the media time it was released at.</summary>
public readonly record struct AgentFrame(MediaFrame Frame, int TurnId, TimeSpan At);
