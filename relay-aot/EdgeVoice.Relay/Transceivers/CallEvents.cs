using System.Threading.Channels;
using EdgeVoice.Relay.Sessions;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Relay.Transceivers;

/// <summary>One event of a call as the caller's event stream shows it.</summary>
/// <param name="Kind">transcript_partial, transcript_final, agent_state, agent_text, latency (a turn's timings) or transceiver.</param>
/// <param name="At">Time since the call was placed.</param>
public sealed record CallEvent(string Kind, string Text, TimeSpan At)
{
    /// <summary>
    /// The call's transceiver, when placed and after each move: text <c>name=&lt;node&gt;;reason=placed|failover|drain</c>,
    /// after a move also <c>;gap_ms=&lt;time the call had no transceiver&gt;</c> (key=value pairs like the latency event's).
    /// </summary>
    public const string Transceiver = "transceiver";

    public static string TransceiverText(string name, string reason, TimeSpan? gap = null) =>
        gap is { } g ? $"name={name};reason={reason};gap_ms={(long)g.TotalMilliseconds}" : $"name={name};reason={reason}";

    public static string KindName(SessionEventKind kind) => kind switch
    {
        SessionEventKind.TranscriptPartial => "transcript_partial",
        SessionEventKind.TranscriptFinal => "transcript_final",
        SessionEventKind.AgentState => "agent_state",
        SessionEventKind.AgentText => "agent_text",
        SessionEventKind.TurnTiming => "latency",
        _ => "unknown",
    };
}

/// <summary>Where the signaling endpoint finds a call's events: the transceiver pool, or nothing with the echo handler.</summary>
public interface ICallEventSource
{
    /// <summary>Subscribes to a live call's events (earlier ones are replayed first); false when no such call is placed.</summary>
    bool TrySubscribe(string callId, out CallEventSubscription? subscription);
}

/// <summary>Why a call ended, as its event stream's last event says.</summary>
/// <param name="Reason">hung_up, time_limit, handler_ended, … (<see cref="Name"/>).</param>
/// <param name="Detail">The handler's words, e.g. "transceiver gpu-1 disconnected; no transceiver took the call over".</param>
public sealed record CallEnding(string Reason, string? Detail)
{
    public static string Name(CallEndReason reason) => reason switch
    {
        CallEndReason.HungUp => "hung_up",
        CallEndReason.ConsentExpired => "consent_expired",
        CallEndReason.ConnectTimedOut => "connect_timed_out",
        CallEndReason.DtlsFailed => "dtls_failed",
        CallEndReason.DtlsClosed => "dtls_closed",
        CallEndReason.RelayStopping => "relay_stopping",
        CallEndReason.TimeLimit => "time_limit",
        CallEndReason.HandlerEnded => "handler_ended",
        _ => "unknown",
    };
}

/// <summary>A reader of one call's events; the channel completes when the call ends. Dispose to stop listening.</summary>
public sealed class CallEventSubscription(ChannelReader<CallEvent> reader, Action unsubscribe, Func<CallEnding?>? ending = null) : IDisposable
{
    public ChannelReader<CallEvent> Reader { get; } = reader;

    /// <summary>Why the call ended, once <see cref="Reader"/> has completed; null while it runs or when unknown.</summary>
    public CallEnding? Ending => ending?.Invoke();

    public void Dispose() => unsubscribe();
}

/// <summary>A call's events so far (bounded) and its live subscribers; thread-safe.</summary>
internal sealed class CallEventLog
{
    private const int MaxKept = 256;
    /// <summary>A subscriber that falls this far behind loses the oldest events rather than holding the tunnel thread.</summary>
    private const int SubscriberBuffer = 256;

    private readonly Lock _gate = new();
    private readonly Queue<CallEvent> _kept = new();
    private readonly List<Channel<CallEvent>> _subscribers = new();
    private bool _completed;
    private CallEnding? _ending;

    public void Add(CallEvent e)
    {
        lock (_gate)
        {
            if (_completed) return;
            if (_kept.Count == MaxKept) _kept.Dequeue();
            _kept.Enqueue(e);
            foreach (var s in _subscribers) s.Writer.TryWrite(e);
        }
    }

    public CallEventSubscription Subscribe()
    {
        var channel = Channel.CreateBounded<CallEvent>(new BoundedChannelOptions(SubscriberBuffer) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            foreach (var e in _kept) channel.Writer.TryWrite(e);
            if (_completed) channel.Writer.TryComplete();
            else _subscribers.Add(channel);
        }
        return new CallEventSubscription(channel.Reader, () =>
        {
            lock (_gate) _subscribers.Remove(channel);
            channel.Writer.TryComplete();
        }, () => { lock (_gate) return _ending; });
    }

    public void Complete(CallEnding? ending = null)
    {
        lock (_gate)
        {
            _ending ??= ending;
            _completed = true;
            foreach (var s in _subscribers) s.Writer.TryComplete();
            _subscribers.Clear();
        }
    }
}
