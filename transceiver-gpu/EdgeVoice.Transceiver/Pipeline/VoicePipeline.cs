using System.Threading.Channels;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>
/// One caller session: Opus frames in, Opus frames and events out. Stages run as tasks joined by channels:
/// ingest (jitter, decode, resample) → listen (VAD, turns, barge-in, playout clock) → ASR → responder (agent, TTS) → encode.
/// </summary>
public sealed class VoicePipeline : IAsyncDisposable
{
    private readonly SessionContext _context;
    private readonly SessionEngines _engines;
    private readonly Channel<MediaFrame> _input;
    private readonly Task _completion;

    private VoicePipeline(SessionEngines engines, PipelineOptions options, Action<string> log, Metrics.PipelineMetrics? metrics)
    {
        _engines = engines;
        _context = new SessionContext(options, log, metrics);
        _input = Channel.CreateBounded<MediaFrame>(new BoundedChannelOptions(16) { SingleReader = true });
        var playout = new FrameQueue<PlayoutFrame>();
        var asrCommands = Channel.CreateUnbounded<AsrCommand>(new() { SingleReader = true, SingleWriter = true });

        var ingest = IngestStage.Start(_context, _input.Reader);
        var listen = ListenStage.Start(_context, ingest.Out, engines.Vad, playout, asrCommands.Writer);
        var asr = AsrStage.Start(_context, asrCommands.Reader, engines.Asr);
        var respond = ResponderStage.Start(_context, asr.Out, engines.Agent, engines.Tts, playout);
        var encode = EncodeStage.Start(_context, listen.Out);
        Output = encode.Out;
        _completion = Task.WhenAll(ingest.Run, listen.Run, asr.Run, respond, encode.Run)
            .ContinueWith(t => { _context.CompleteEvents(); return t; }, TaskScheduler.Default).Unwrap();
    }

    /// <param name="metrics">The process's latency histograms and turn counts (the transceiver's /metrics); null for none.</param>
    public static VoicePipeline Start(SessionEngines engines, PipelineOptions options, Action<string>? log = null, Metrics.PipelineMetrics? metrics = null) =>
        new(engines, options, log ?? (_ => { }), metrics);

    public ChannelReader<AgentFrame> Output { get; }
    public ChannelReader<PipelineEvent> Events => _context.Events;
    public Task Completion => _completion;
    public StageTimings Timings => _context.Timings;
    public SessionState State => _context.State;
    public PipelineOptions Options => _context.Options;

    /// <summary>No caller turn is open: nothing heard pending, nothing being answered or played.</summary>
    public bool IsIdle => _context.OpenTurns == 0;
    /// <summary>Turns that are done (any outcome), with their latency figures.</summary>
    public IReadOnlyList<SpeechTurn> CompletedTurns => _context.Turns.Where(t => t.Done.IsCompleted).ToList();
    public long MalformedFrames => Interlocked.Read(ref _context.MalformedFrames);
    public long ConcealedFrames => Interlocked.Read(ref _context.ConcealedFrames);
    public long RecoveredFrames => Interlocked.Read(ref _context.RecoveredFrames);
    public long DroppedAgentFrames => Interlocked.Read(ref _context.DroppedAgentFrames);

    /// <summary>Takes a caller frame without waiting; false when the input queue is full (the frame is dropped) or closed.</summary>
    public bool TryWrite(MediaFrame frame) => _input.Writer.TryWrite(frame);

    /// <summary>Caller frames waiting to be ingested.</summary>
    public int PendingInput => _input.Reader.Count;

    public ValueTask WriteAsync(MediaFrame frame, CancellationToken cancellationToken = default) => _input.Writer.WriteAsync(frame, cancellationToken);

    /// <summary>No more caller frames: the stages drain and complete.</summary>
    public void CompleteInput() => _input.Writer.TryComplete();

    public async ValueTask DisposeAsync()
    {
        _input.Writer.TryComplete();
        _context.Stopping.Cancel();
        try { await _completion.WaitAsync(_context.Options.InterruptWait); }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
        _engines.Dispose();
        _context.Stopping.Dispose();
    }
}
