using EdgeVoice.Relay.Sessions;
using EdgeVoice.Tunnel.Control;
using MediaFrame = EdgeVoice.Relay.Sessions.MediaFrame;
using TunnelFrame = EdgeVoice.Tunnel.Media.MediaFrame;
using MediaDirection = EdgeVoice.Tunnel.Media.MediaDirection;
using MediaFrameFlags = EdgeVoice.Tunnel.Media.MediaFrameFlags;

namespace EdgeVoice.Relay.Transceivers;

/// <summary>One call placed on a transceiver: caller frames go up the tunnel; frames coming back go to the call's feed.</summary>
internal sealed class TunnelSessionHandler(TransceiverPool pool, TransceiverLink link, CallInfo call, TimeSpan placedAt) : ISessionHandler
{
    private int _ended;

    public CallInfo Call { get; } = call;
    public TransceiverLink Link { get; } = link;
    public CallEventLog Events { get; } = new();
    public TimeSpan PlacedAt { get; } = placedAt;
    public long UplinkNotSent;

    public void OnCallConnected(ICallerOutput output) { }

    public void OnCallerFrame(ICallerOutput output, in MediaFrame frame)
    {
        var uplink = new TunnelFrame(Call.SessionId, MediaDirection.Uplink, frame.Sequence, frame.RtpTimestamp,
            frame.Marker ? MediaFrameFlags.Marker : MediaFrameFlags.None, frame.Payload);
        if (!Link.TrySendMedia(uplink))
            UplinkNotSent++;
    }

    public void OnCallEnded(CallEndReason reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1) return;
        var closeReason = reason switch
        {
            CallEndReason.HungUp or CallEndReason.TimeLimit => SessionCloseReason.Normal,
            CallEndReason.RelayStopping => SessionCloseReason.Normal,
            CallEndReason.HandlerEnded => SessionCloseReason.Normal,
            _ => SessionCloseReason.ClientGone,
        };
        Link.SendControl(new SessionCloseMessage(Call.SessionId, closeReason, reason.ToString()));
        pool.Forget(this);
        Events.Complete(new CallEnding(CallEnding.Name(reason), Call.Feed.EndReason));
    }
}
