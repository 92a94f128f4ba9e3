using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>
/// Opens one pipeline per caller session from the configuration, within <c>limits.max_sessions</c>.
/// The tunnel (a later issue) feeds each session's frames in and sends its frames and events back.
/// </summary>
/// <param name="metrics">Latency histograms every session reports into (the transceiver's /metrics); null for none.</param>
public sealed class SessionHost(TransceiverConfig config, Action<string> log, Metrics.PipelineMetrics? metrics = null)
{
    private readonly EngineFactory _engines = new(config, log);
    private int _active;

    public int ActiveSessions => Volatile.Read(ref _active);
    public int MaxSessions => config.MaxSessions;

    /// <summary>Opens a session, or says why not (full, or an engine failed to start); never throws for those.</summary>
    /// <param name="sessionLog">Where the session's own lines go (e.g. tagged with its trace id); the host's log when null.</param>
    /// <param name="priorTurns">The conversation so far when the call moved here from another transceiver; the agent starts from it.</param>
    public bool TryOpen(Pacing pacing, out HostedSession? session, out string? refusal, Action<string>? sessionLog = null, IReadOnlyList<ConversationTurn>? priorTurns = null)
    {
        session = null;
        if (Interlocked.Increment(ref _active) > config.MaxSessions)
        {
            Interlocked.Decrement(ref _active);
            refusal = $"transceiver full ({config.MaxSessions} sessions, limits.max_sessions in {config.Source})";
            return false;
        }
        try
        {
            var engines = _engines.CreateSession();
            if (priorTurns is { Count: > 0 })
                engines.Agent.TakePriorTurns(priorTurns);
            var pipeline = VoicePipeline.Start(engines, config.ToPipelineOptions(pacing), sessionLog ?? log, metrics);
            session = new HostedSession(pipeline, () => Interlocked.Decrement(ref _active));
            refusal = null;
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or NotSupportedException or InvalidDataException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Interlocked.Decrement(ref _active);
            refusal = $"session engines failed to start: {e.Message}";
            (sessionLog ?? log)(refusal);
            return false;
        }
    }
}

/// <summary>A pipeline held by a <see cref="SessionHost"/>; disposing it frees its slot.</summary>
public sealed class HostedSession(VoicePipeline pipeline, Action release) : IAsyncDisposable
{
    private int _disposed;
    public VoicePipeline Pipeline { get; } = pipeline;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try { await Pipeline.DisposeAsync(); }
        finally { release(); }
    }
}
