using System.Threading.Channels;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>What the stages of one session share: options, media clock, state, events, timings, counters.</summary>
internal sealed class SessionContext(PipelineOptions options, Action<string> log, Metrics.PipelineMetrics? metrics = null)
{
    private readonly Lock _stateGate = new();
    private readonly Channel<PipelineEvent> _events = Channel.CreateUnbounded<PipelineEvent>(new() { SingleReader = true });
    private long _nowTicks;
    private int _openTurns;
    private int _lastTurnId;

    public PipelineOptions Options { get; } = options;
    public Action<string> Log { get; } = log;
    public StageTimings Timings { get; } = new(metrics);
    public CancellationTokenSource Stopping { get; } = new();
    public ChannelReader<PipelineEvent> Events => _events.Reader;
    public SessionState State { get; private set; } = SessionState.Listening;

    /// <summary>Media time of the tick being processed.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(Interlocked.Read(ref _nowTicks));
    public void SetNow(TimeSpan now) => Interlocked.Exchange(ref _nowTicks, now.Ticks);

    public long MalformedFrames;
    public long ConcealedFrames;
    public long RecoveredFrames;
    public long RefusedFrames;
    public long DroppedAgentFrames;

    public int OpenTurns => Volatile.Read(ref _openTurns);

    public int OpenTurn()
    {
        Interlocked.Increment(ref _openTurns);
        return Interlocked.Increment(ref _lastTurnId);
    }

    /// <summary>Counts the turn closed once its handle is done, whatever the outcome.</summary>
    public void Track(SpeechTurn turn)
    {
        Turns.Enqueue(turn);
        turn.Done.ContinueWith(done =>
        {
            Interlocked.Decrement(ref _openTurns);
            metrics?.CountTurn(done.Result);
        }, TaskScheduler.Default);
    }

    /// <summary>The turn's first audio is ready: its latency figures go out as an event and into the histograms.</summary>
    public void ReportTiming(SpeechTurn turn)
    {
        var timing = new Metrics.TurnTiming(turn.AsrLatency, turn.AgentFirstText, turn.FirstSentenceSynthesis, turn.WallLatency ?? TimeSpan.Zero);
        metrics?.ObserveTurn(timing);
        Emit(PipelineEventKind.TurnTiming, turn.Id, timing.ToString());
    }

    /// <summary>Every turn of the session, for latency figures.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<SpeechTurn> Turns { get; } = new();

    /// <summary>A started utterance that never became a turn (input ended mid-speech).</summary>
    public void AbandonTurn() => Interlocked.Decrement(ref _openTurns);

    public void Emit(PipelineEventKind kind, int turnId, string? text) =>
        _events.Writer.TryWrite(new PipelineEvent(kind, Now, turnId, text));

    public void SetState(SessionState state, int turnId)
    {
        lock (_stateGate)
        {
            if (State == state) return;
            State = state;
            _events.Writer.TryWrite(new PipelineEvent(PipelineEventKind.StateChanged, Now, turnId, State: state));
        }
    }

    public void CompleteEvents() => _events.Writer.TryComplete();
}
