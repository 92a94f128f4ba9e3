namespace EdgeVoice.Relay.Sessions;

/// <summary>One Opus frame of a call, borrowed from the packet it came in (valid only during the call that hands it over).</summary>
public readonly ref struct MediaFrame
{
    public MediaFrame(ushort sequence, uint rtpTimestamp, bool marker, ReadOnlySpan<byte> payload)
    {
        Sequence = sequence;
        RtpTimestamp = rtpTimestamp;
        Marker = marker;
        Payload = payload;
    }

    public ushort Sequence { get; }
    public uint RtpTimestamp { get; }
    public bool Marker { get; }
    public ReadOnlySpan<byte> Payload { get; }
}

/// <summary>The way back to the caller: frames are packetized, SRTP-protected and sent on the media port.</summary>
public interface ICallerOutput
{
    /// <summary>Sends one Opus frame to the caller. Call it on the media loop only.</summary>
    void SendToCaller(in MediaFrame frame);
}

public enum CallEndReason
{
    HungUp,
    ConsentExpired,
    ConnectTimedOut,
    DtlsFailed,
    DtlsClosed,
    RelayStopping,
    TimeLimit,
    /// <summary>The handler asked for it (<see cref="CallerFeed.RequestEnd"/>), e.g. the transceiver closed the session.</summary>
    HandlerEnded,
}

/// <summary>What a call's media is handed to: the echo handler here; the tunnel to a transceiver later.</summary>
public interface ISessionHandler
{
    /// <summary>Called on the media loop once the call's SRTP keys are known.</summary>
    void OnCallConnected(ICallerOutput output);

    /// <summary>Called on the media loop for each Opus frame from the caller, decrypted, in arrival order.</summary>
    void OnCallerFrame(ICallerOutput output, in MediaFrame frame);

    void OnCallEnded(CallEndReason reason);
}

/// <param name="Feed">Frames for the caller from any thread, sent by the media loop paced at 20 ms; and a way to end the call.</param>
public sealed record CallInfo(ulong SessionId, string CallId, int OpusPayloadType, CallerFeed Feed);

public interface ISessionHandlerFactory
{
    /// <summary>A handler for a new call, or a refusal (no capacity) that the caller gets as 503.</summary>
    bool TryCreate(CallInfo call, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISessionHandler? handler, out string? refusal);
}

/// <summary>Sends each caller frame straight back; the outbound stream gives it a new SSRC, sequence and timestamp base.</summary>
public sealed class EchoSessionHandler : ISessionHandler
{
    public void OnCallConnected(ICallerOutput output) { }

    public void OnCallerFrame(ICallerOutput output, in MediaFrame frame) => output.SendToCaller(frame);

    public void OnCallEnded(CallEndReason reason) { }
}

public sealed class EchoSessionHandlerFactory : ISessionHandlerFactory
{
    public bool TryCreate(CallInfo call, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISessionHandler? handler, out string? refusal)
    {
        handler = new EchoSessionHandler();
        refusal = null;
        return true;
    }
}
