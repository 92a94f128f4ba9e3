namespace EdgeVoice.Transceiver.Pipeline;

public enum TurnOutcome
{
    Completed,
    Interrupted,
    /// <summary>The recognizer heard nothing it could transcribe; no reply.</summary>
    NothingHeard,
    Failed,
}

/// <summary>
/// One handle per caller turn and the agent utterance that answers it: its cancellation, its transcript,
/// when its first audio frame played (for latency), and when it was done.
/// </summary>
public sealed class SpeechTurn(int id, TimeSpan endOfSpeech) : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly TaskCompletionSource<TurnOutcome> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<TimeSpan> _firstAudio = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Id { get; } = id;

    /// <summary>Media time at which the caller's turn ended (end of speech plus the turn silence).</summary>
    public TimeSpan EndOfSpeech { get; } = endOfSpeech;
    public string Transcript { get; set; } = string.Empty;
    public CancellationToken Token => _cancel.Token;
    public bool IsInterrupted => _cancel.IsCancellationRequested;
    public Task<TurnOutcome> Done => _done.Task;

    /// <summary>Media time at which the first agent audio frame of this turn went out.</summary>
    public Task<TimeSpan> FirstAudio => _firstAudio.Task;

    /// <summary>Wall-clock time from end of turn to the first audio frame ready (model time included).</summary>
    public TimeSpan? WallLatency { get; private set; }
    internal long EndedAtTimestamp { get; init; } = System.Diagnostics.Stopwatch.GetTimestamp();

    public void Interrupt()
    {
        try { _cancel.Cancel(); } catch (ObjectDisposedException) { }
        _done.TrySetResult(TurnOutcome.Interrupted);
    }

    /// <summary>Wall-clock time from end of turn to the final transcript.</summary>
    public TimeSpan? AsrLatency { get; internal set; }

    /// <summary>Wall-clock time from the agent call to its first text.</summary>
    public TimeSpan? AgentFirstText { get; internal set; }

    /// <summary>Wall-clock time to synthesize the reply's first sentence.</summary>
    public TimeSpan? FirstSentenceSynthesis { get; internal set; }

    /// <summary>Records the first audio frame; true the first time only.</summary>
    internal bool MarkFirstAudio(TimeSpan at)
    {
        if (!_firstAudio.TrySetResult(at)) return false;
        WallLatency = System.Diagnostics.Stopwatch.GetElapsedTime(EndedAtTimestamp);
        return true;
    }

    internal void Finish(TurnOutcome outcome) => _done.TrySetResult(outcome);

    public void Dispose() => _cancel.Dispose();
}
