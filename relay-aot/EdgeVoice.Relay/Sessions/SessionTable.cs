using System.Collections.Concurrent;
using EdgeVoice.WebRtc;

namespace EdgeVoice.Relay.Sessions;

/// <summary>
/// Every live call, bounded. Found by session id (from the authenticated ufrag token), by call id (HTTP),
/// and after ICE by the caller's transport address. The HTTP side only adds and looks up; the media loop
/// owns the address map and removal.
/// </summary>
internal sealed class SessionTable
{
    private readonly ConcurrentDictionary<ulong, CallSession> _byId = new();
    private readonly ConcurrentDictionary<string, CallSession> _byCallId = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<CallSession> _added = new();
    private readonly Dictionary<TransportAddress, CallSession> _byAddress = new();
    private readonly List<CallSession> _active = new();
    private readonly List<CallSession> _closing = new();
    private int _reserved;
    private int _connecting;

    public SessionTable(int capacity) => Capacity = capacity;

    public int Capacity { get; }

    public int Count => Volatile.Read(ref _reserved);

    /// <summary>Calls answered but not yet through ICE and DTLS: each may hold a handshake worker.</summary>
    public int Connecting => Volatile.Read(ref _connecting);

    /// <summary>A call left the connecting phase (connected, failed or ended); called once per call.</summary>
    public void LeftConnecting() => Interlocked.Decrement(ref _connecting);

    /// <summary>The calls the media loop is running (loop thread only).</summary>
    public IReadOnlyList<CallSession> Active => _active;

    /// <summary>Ended calls whose DTLS close_notify is still to be sent (loop thread only).</summary>
    public List<CallSession> Closing => _closing;

    /// <summary>Takes a place for a new call, or false when the relay is full (HTTP 503).</summary>
    public bool TryReserve()
    {
        while (true)
        {
            int current = Volatile.Read(ref _reserved);
            if (current >= Capacity)
                return false;
            if (Interlocked.CompareExchange(ref _reserved, current + 1, current) == current)
                return true;
        }
    }

    public void Release() => Interlocked.Decrement(ref _reserved);

    /// <summary>Adds a call on a place taken with <see cref="TryReserve"/>; false if its ids collide (then retry with new ids).</summary>
    public bool TryAdd(CallSession session)
    {
        if (!_byId.TryAdd(session.Id, session))
            return false;
        if (!_byCallId.TryAdd(session.CallId, session))
        {
            _byId.TryRemove(session.Id, out _);
            return false;
        }
        Interlocked.Increment(ref _connecting);
        _added.Enqueue(session);
        return true;
    }

    public bool TryGetById(ulong id, out CallSession session) => _byId.TryGetValue(id, out session!);

    public bool TryGetByCallId(string callId, out CallSession session) => _byCallId.TryGetValue(callId, out session!);

    /// <summary>Takes a call out of HTTP's reach at once (DELETE), so a second DELETE is a 404 while the loop ends it.</summary>
    public bool TryDetachCallId(string callId, out CallSession session) => _byCallId.TryRemove(callId, out session!);

    /// <summary>Moves calls added by HTTP into the loop's list, pacing their outbound frames on the loop's tick (loop thread).</summary>
    public void AdoptAdded(TimeSpan tick)
    {
        while (_added.TryDequeue(out var session))
        {
            session.PacingTick = tick;
            _active.Add(session);
        }
    }

    public bool TryGetByAddress(TransportAddress address, out CallSession session) => _byAddress.TryGetValue(address, out session!);

    /// <summary>
    /// Changes whenever the address routes change (a bind, a removed call), so the loop can tell that calls it looked
    /// up by address earlier in a batch are still what a lookup would return (loop thread).
    /// </summary>
    public int AddressVersion { get; private set; }

    /// <summary>Routes an authenticated caller address to its call (loop thread).</summary>
    public void BindAddress(TransportAddress address, CallSession session)
    {
        _byAddress[address] = session;
        AddressVersion++;
    }

    /// <summary>Forgets an ended call everywhere (loop thread).</summary>
    public void Remove(CallSession session)
    {
        if (!_byId.TryRemove(new KeyValuePair<ulong, CallSession>(session.Id, session)))
            return;
        _byCallId.TryRemove(session.CallId, out _);
        _active.Remove(session);
        List<TransportAddress>? stale = null;
        foreach (var (address, owner) in _byAddress)
        {
            if (ReferenceEquals(owner, session))
                (stale ??= new()).Add(address);
        }
        if (stale is not null)
        {
            foreach (var address in stale)
                _byAddress.Remove(address);
            AddressVersion++;
        }
        Release();
    }
}
