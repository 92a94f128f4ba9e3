namespace EdgeVoice.WebRtc.Ice;

/// <summary>Where an ICE-lite session stands.</summary>
public enum IceState
{
    /// <summary>Waiting for a nominated connectivity check.</summary>
    New,
    /// <summary>A pair is nominated and the peer keeps consent fresh.</summary>
    Connected,
    /// <summary>Connected once, then no valid check for the consent timeout (RFC 7675): stop sending.</summary>
    Expired,
    /// <summary>No nominated check before the connect timeout.</summary>
    Failed,
}

public enum IceEventKind
{
    /// <summary>The first nominated check arrived; <see cref="IceEvent.Remote"/> is the client's address.</summary>
    Connected,
    /// <summary>A nominated check came from a new address: re-key the session's 5-tuple to <see cref="IceEvent.Remote"/>.</summary>
    RemoteAddressChanged,
    /// <summary>Consent expired; the session must stop sending to the client.</summary>
    ConsentExpired,
    /// <summary>The session never connected.</summary>
    ConnectTimedOut,
}

/// <summary>Something the relay acts on, polled with <see cref="IceLiteAgent.TryPollEvent"/>.</summary>
public readonly record struct IceEvent(IceEventKind Kind, TransportAddress Remote);

/// <summary>What <see cref="IceLiteAgent.HandleBindingRequest"/> did with a request; the drop reasons double as metrics labels.</summary>
public enum IceCheckResult
{
    /// <summary>Authenticated; a success response was written.</summary>
    Accepted,
    /// <summary>Authenticated but the peer claims the controlled role; a 487 response was written.</summary>
    RoleConflict,
    /// <summary>Authenticated but without PRIORITY; a 400 response was written.</summary>
    BadRequest,
    /// <summary>Authenticated but with an unknown comprehension-required attribute; a 420 response was written.</summary>
    UnknownAttribute,
    /// <summary>Dropped: not a Binding request.</summary>
    NotBindingRequest,
    /// <summary>Dropped: no FINGERPRINT (RFC 8445 §7.2.2 requires it on checks).</summary>
    MissingFingerprint,
    /// <summary>Dropped: USERNAME is not "localUfrag:remoteUfrag".</summary>
    UsernameMismatch,
    /// <summary>Dropped: MESSAGE-INTEGRITY does not verify under the local password.</summary>
    IntegrityMismatch,
    /// <summary>Dropped: the session has expired or failed.</summary>
    Closed,
    /// <summary>Dropped: the response buffer is too small (a caller bug).</summary>
    ResponseBufferTooSmall,
}

/// <summary>Timers of an <see cref="IceLiteAgent"/>.</summary>
public sealed class IceLiteOptions
{
    public static IceLiteOptions Default { get; } = new();

    /// <summary>Time without a valid check on the selected pair before consent is lost (RFC 7675 §5.1: 30 s).</summary>
    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time from creation to the first nominated check before the session fails.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
