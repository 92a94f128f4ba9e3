namespace EdgeVoice.Tunnel.Control;

/// <summary>Message type codes on the control stream (docs/tunnel-wire-format.md §3.3).</summary>
public enum ControlMessageType : ushort
{
    Hello = 1,
    SessionOpen = 2,
    SessionClose = 3,
    LoadReport = 4,
    Event = 5,
    Ping = 6,
    Pong = 7,
}

public enum NodeRole : byte
{
    Relay = 1,
    Transceiver = 2,
}

public enum SessionCloseReason : byte
{
    Normal = 0,
    ClientGone = 1,
    Moved = 2,
    Overloaded = 3,
    Error = 4,
}

public enum SessionEventKind : byte
{
    TranscriptPartial = 1,
    TranscriptFinal = 2,
    AgentState = 3,
    AgentText = 4,
    /// <summary>A turn's latency figures: <c>key=value</c> pairs joined by ';' (asr_ms, agent_ms, tts_ms, reply_ms).</summary>
    TurnTiming = 5,
}

/// <summary>A message on the control stream. Each subtype knows its body layout.</summary>
public abstract record ControlMessage
{
    public abstract ControlMessageType Type { get; }
}

/// <summary>First message each side sends on the control stream.</summary>
public sealed record HelloMessage(ushort ProtocolVersion, NodeRole Role, string NodeName, uint Capacity) : ControlMessage
{
    public override ControlMessageType Type => ControlMessageType.Hello;
}

/// <summary>Opens a media session: codec parameters plus free-form metadata (e.g. agent, language).</summary>
public sealed record SessionOpenMessage(
    ulong SessionId, string Codec, uint ClockRate, byte Channels, ushort FrameDurationMs,
    IReadOnlyList<KeyValuePair<string, string>> Metadata) : ControlMessage
{
    public override ControlMessageType Type => ControlMessageType.SessionOpen;

    public bool Equals(SessionOpenMessage? other) =>
        other is not null && SessionId == other.SessionId && Codec == other.Codec && ClockRate == other.ClockRate
        && Channels == other.Channels && FrameDurationMs == other.FrameDurationMs && Metadata.SequenceEqual(other.Metadata);

    public override int GetHashCode() => HashCode.Combine(SessionId, Codec, ClockRate, Channels, FrameDurationMs, Metadata.Count);
}

public sealed record SessionCloseMessage(ulong SessionId, SessionCloseReason Reason, string Detail) : ControlMessage
{
    public override ControlMessageType Type => ControlMessageType.SessionClose;
}

/// <summary>Transceiver load: AcceleratorUsePermille is GPU (or CPU) utilisation in 1/1000.</summary>
public sealed record LoadReportMessage(uint Sessions, uint Capacity, uint QueueDepth, ushort AcceleratorUsePermille) : ControlMessage
{
    public override ControlMessageType Type => ControlMessageType.LoadReport;
}

/// <summary>A session event: a transcript, an agent state change, agent text.</summary>
public sealed record SessionEventMessage(ulong SessionId, SessionEventKind Kind, string Text) : ControlMessage
{
    public override ControlMessageType Type => ControlMessageType.Event;
}

public sealed record PingMessage(ulong Nonce) : ControlMessage
{
    public override ControlMessageType Type => ControlMessageType.Ping;
}

public sealed record PongMessage(ulong Nonce) : ControlMessage
{
    public override ControlMessageType Type => ControlMessageType.Pong;
}
