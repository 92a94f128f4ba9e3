using System.Text;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.WebRtc.Ice;

/// <summary>
/// One session's ICE-lite side (RFC 8445 §2.5, sans-IO): answers the browser's connectivity checks, takes the pair the
/// browser nominates, tracks consent freshness (RFC 7675) and reports what changed through <see cref="TryPollEvent"/>.
/// A lite agent is always controlled and never sends checks of its own.
/// </summary>
/// <remarks>
/// Requests that fail USERNAME or MESSAGE-INTEGRITY are dropped without a response rather than answered with
/// 401 (RFC 8489 §9.1.3): an answer would tell an off-path sender which ufrags are live and make the relay a reflector.
/// Only authenticated requests get error responses (400, 420, 487), and those carry MESSAGE-INTEGRITY.
/// </remarks>
public sealed class IceLiteAgent
{
    private const int MinUfragLength = 4;
    private const int MinPasswordLength = 22;
    private const int MaxCredentialLength = 256;
    private const int EventCapacity = 4;

    private readonly byte[] _expectedUsername;
    private readonly byte[] _localPassword;
    private readonly TimeSpan _connectDeadline;
    private readonly TimeSpan _consentTimeout;
    private readonly IceEvent[] _events = new IceEvent[EventCapacity];
    private int _eventHead;
    private int _eventCount;
    private TimeSpan _lastConsent;
    private TransportAddress _selected;

    /// <summary>
    /// Creates the agent when the SDP answer is made. Throws <see cref="ArgumentException"/> when a credential is not
    /// 4..256 (ufrag) or 22..256 (password) ice-chars: validate the offer's ufrag before calling.
    /// </summary>
    public IceLiteAgent(string localUfrag, string localPassword, string remoteUfrag, TimeSpan now, IceLiteOptions? options = null)
    {
        options ??= IceLiteOptions.Default;
        RequireCredential(localUfrag, MinUfragLength, nameof(localUfrag));
        RequireCredential(localPassword, MinPasswordLength, nameof(localPassword));
        RequireCredential(remoteUfrag, MinUfragLength, nameof(remoteUfrag));
        if (options.ConsentTimeout <= TimeSpan.Zero || options.ConnectTimeout <= TimeSpan.Zero)
            throw new ArgumentException("ICE consent and connect timeouts must be positive.", nameof(options));
        // RFC 8445 §7.2.2: the check's USERNAME is the recipient's (our) ufrag, a colon, then the sender's.
        _expectedUsername = Encoding.ASCII.GetBytes(localUfrag + ":" + remoteUfrag);
        _localPassword = Encoding.ASCII.GetBytes(localPassword);
        _connectDeadline = now + options.ConnectTimeout;
        _consentTimeout = options.ConsentTimeout;
    }

    public IceState State { get; private set; }

    /// <summary>The client's address on the nominated pair, once connected.</summary>
    public TransportAddress? SelectedRemote => State == IceState.New ? null : _selected;

    /// <summary>When <see cref="HandleTimeout"/> must next run, or null when the session is over.</summary>
    public TimeSpan? NextTimeout => State switch
    {
        IceState.New => _connectDeadline,
        IceState.Connected => _lastConsent + _consentTimeout,
        _ => null,
    };

    /// <summary>
    /// Handles a parsed Binding request from <paramref name="from"/>. When the result is one that answers, the response
    /// is in <paramref name="response"/>[..<paramref name="responseLength"/>]; otherwise <paramref name="responseLength"/> is 0.
    /// Allocates nothing.
    /// </summary>
    public IceCheckResult HandleBindingRequest(scoped in StunMessage request, TransportAddress from, TimeSpan now,
        Span<byte> response, out int responseLength)
    {
        responseLength = 0;
        if (!request.IsBindingRequest)
            return IceCheckResult.NotBindingRequest;
        if (State is IceState.Expired or IceState.Failed)
            return IceCheckResult.Closed;
        if (request.FingerprintOffset < 0)
            return IceCheckResult.MissingFingerprint;
        if (!request.Username.SequenceEqual(_expectedUsername))
            return IceCheckResult.UsernameMismatch;
        if (!request.VerifyIntegrity(_localPassword))
            return IceCheckResult.IntegrityMismatch;

        // Authenticated from here on: errors are answered, under our password.
        ReadOnlySpan<byte> transactionId = request.TransactionId;
        if (request.UnknownComprehensionRequired != 0)
            return Answer(StunWriter.WriteBindingError(response, transactionId, ErrorCodeAttribute.UnknownAttribute, _localPassword,
                request.UnknownComprehensionRequired), IceCheckResult.UnknownAttribute, out responseLength);
        if (request.Priority is null)
            return Answer(StunWriter.WriteBindingError(response, transactionId, ErrorCodeAttribute.BadRequest, _localPassword),
                IceCheckResult.BadRequest, out responseLength);
        // RFC 8445 §6.1.1/§7.3.1.1: a lite agent stays controlled whatever the tie-breakers, so a peer that also
        // claims controlled is told to switch.
        if (request.IceControlled is not null)
            return Answer(StunWriter.WriteBindingError(response, transactionId, ErrorCodeAttribute.RoleConflict, _localPassword),
                IceCheckResult.RoleConflict, out responseLength);

        int length = StunWriter.WriteBindingSuccess(response, transactionId, from, _localPassword);
        if (length == 0)
            return IceCheckResult.ResponseBufferTooSmall;
        responseLength = length;
        AfterValidCheck(request.UseCandidate, from, now);
        return IceCheckResult.Accepted;
    }

    /// <summary>Runs the connect and consent timers; call at or after <see cref="NextTimeout"/>.</summary>
    public void HandleTimeout(TimeSpan now)
    {
        if (State == IceState.New && now >= _connectDeadline)
        {
            State = IceState.Failed;
            Enqueue(new IceEvent(IceEventKind.ConnectTimedOut, default));
        }
        else if (State == IceState.Connected && now >= _lastConsent + _consentTimeout)
        {
            State = IceState.Expired;
            Enqueue(new IceEvent(IceEventKind.ConsentExpired, _selected));
        }
    }

    public bool TryPollEvent(out IceEvent iceEvent)
    {
        if (_eventCount == 0)
        {
            iceEvent = default;
            return false;
        }
        iceEvent = _events[_eventHead];
        _eventHead = (_eventHead + 1) % EventCapacity;
        _eventCount--;
        return true;
    }

    private void AfterValidCheck(bool nominated, TransportAddress from, TimeSpan now)
    {
        if (State == IceState.New)
        {
            if (!nominated)
                return;
            State = IceState.Connected;
            _selected = from;
            _lastConsent = now;
            Enqueue(new IceEvent(IceEventKind.Connected, from));
            return;
        }
        if (nominated && from != _selected)
        {
            _selected = from;
            Enqueue(new IceEvent(IceEventKind.RemoteAddressChanged, from));
        }
        // Consent is for the selected pair only (RFC 7675 §5.1); checks on other pairs are answered but do not refresh it.
        if (from == _selected && now > _lastConsent)
            _lastConsent = now;
    }

    private void Enqueue(IceEvent iceEvent)
    {
        // An unpolled Connected or address change only needs the newest address, which bounds the queue at two events.
        if (iceEvent.Kind == IceEventKind.RemoteAddressChanged && _eventCount > 0)
        {
            int last = (_eventHead + _eventCount - 1) % EventCapacity;
            if (_events[last].Kind is IceEventKind.Connected or IceEventKind.RemoteAddressChanged)
            {
                _events[last] = _events[last] with { Remote = iceEvent.Remote };
                return;
            }
        }
        _events[(_eventHead + _eventCount) % EventCapacity] = iceEvent;
        _eventCount++;
    }

    private static IceCheckResult Answer(int length, IceCheckResult result, out int responseLength)
    {
        responseLength = length;
        return length == 0 ? IceCheckResult.ResponseBufferTooSmall : result;
    }

    private static void RequireCredential(string value, int minLength, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (value.Length < minLength || value.Length > MaxCredentialLength)
            throw new ArgumentException($"ICE {name} must be {minLength}..{MaxCredentialLength} characters, got {value.Length}.", name);
        foreach (char c in value)
        {
            if (c > 0x7F || !UfragToken.IsIceChar((byte)c))
                throw new ArgumentException($"ICE {name} may only contain A-Z a-z 0-9 + / (RFC 8839 ice-char).", name);
        }
    }
}
