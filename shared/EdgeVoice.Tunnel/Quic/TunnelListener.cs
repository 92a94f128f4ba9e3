using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace EdgeVoice.Tunnel.Quic;

/// <summary>
/// The server side, sans-IO: one UDP port, many relay connections, packets routed by destination
/// connection ID; a client Initial with an unknown ID starts a new connection.
/// </summary>
public sealed unsafe class TunnelListener : IDisposable
{
    private readonly TunnelOptions _options;
    private readonly SocketAddress _local;
    private readonly Dictionary<CidKey, TunnelConnection> _routes = [];
    private readonly List<TunnelConnection> _connections = [];
    private readonly Queue<(TunnelConnection, TunnelEvent)> _events = new();
    private readonly ConnectionIdChanged _cidChanged;
    private readonly HashSet<string> _peersSeen = [];
    private int _nextTransmit;

    public TunnelListener(TunnelOptions options, SocketAddress local)
    {
        _options = options;
        _local = Copy(local);
        _cidChanged = OnCidChanged;
    }

    public IReadOnlyList<TunnelConnection> Connections => _connections;
    /// <summary>Datagrams that were neither for a known connection nor a valid new Initial.</summary>
    public long DatagramsDropped { get; private set; }

    public void HandleInput(ReadOnlySpan<byte> datagram, SocketAddress remote, TimeSpan now)
    {
        Span<byte> dcid = stackalloc byte[20];
        int rv;
        nuint dcidLength;
        int longHeader;
        fixed (byte* p = datagram)
        fixed (byte* d = dcid)
            rv = Interop.EvQuic.evq_decode_dcid(p, (nuint)datagram.Length, d, out dcidLength, out longHeader);
        if (rv != 0)
        {
            DatagramsDropped++;
            return;
        }
        var key = CidKey.From(dcid[..(int)dcidLength]);
        if (_routes.TryGetValue(key, out var connection))
        {
            connection.HandleInput(datagram, now);
            Collect(connection);
            return;
        }
        if (longHeader == 0)
        {
            DatagramsDropped++; // e.g. a client still talking to a transceiver that restarted
            return;
        }
        connection = TunnelConnection.TryAccept(_options, datagram, _local, Copy(remote), now, _cidChanged);
        if (connection is null)
        {
            DatagramsDropped++;
            return;
        }
        _connections.Add(connection);
        _routes[key] = connection; // the client's original DCID, until it switches to ours
        connection.HandleInput(datagram, now);
        Collect(connection);
    }

    public bool TryPollTransmit(Span<byte> destination, TimeSpan now, out int length, [NotNullWhen(true)] out SocketAddress? remote)
    {
        for (int i = 0; i < _connections.Count; i++)
        {
            var c = _connections[(_nextTransmit + i) % _connections.Count];
            if (c.TryPollTransmit(destination, now, out length))
            {
                _nextTransmit = (_nextTransmit + i + 1) % _connections.Count; // round robin: one busy relay does not starve the rest
                remote = c.RemoteAddress;
                Collect(c);
                return true;
            }
            Collect(c);
        }
        Sweep();
        length = 0;
        remote = null;
        return false;
    }

    public TimeSpan? NextTimeout
    {
        get
        {
            TimeSpan? next = null;
            foreach (var c in _connections)
                if (c.NextTimeout is { } t && (next is null || t < next))
                    next = t;
            return next;
        }
    }

    public void HandleTimeout(TimeSpan now)
    {
        foreach (var c in _connections)
        {
            if (c.NextTimeout is { } t && t <= now)
            {
                c.HandleTimeout(now);
                Collect(c);
            }
        }
    }

    public bool TryPollEvent([NotNullWhen(true)] out TunnelConnection? connection, [NotNullWhen(true)] out TunnelEvent? tunnelEvent)
    {
        if (_events.TryDequeue(out var item))
        {
            (connection, tunnelEvent) = item;
            return true;
        }
        connection = null;
        tunnelEvent = null;
        return false;
    }

    private void Collect(TunnelConnection c)
    {
        while (c.TryPollEvent(out var e))
        {
            // A relay that comes back (after a restart or a broken path) is a reconnect, here as on the relay.
            if (e.Kind == TunnelEventKind.Connected && e.Peer is { } peer && !_peersSeen.Add(peer.Name))
                e = e with { Kind = TunnelEventKind.Reconnected };
            _events.Enqueue((c, e));
        }
    }

    /// <summary>Forgets connections that are closed and have sent their CONNECTION_CLOSE.</summary>
    private void Sweep()
    {
        for (int i = _connections.Count - 1; i >= 0; i--)
        {
            var c = _connections[i];
            if (c.State != TunnelState.Closed)
                continue;
            _connections.RemoveAt(i);
            foreach (var k in _routes.Where(r => r.Value == c).Select(r => r.Key).ToList())
                _routes.Remove(k);
            c.Dispose();
        }
    }

    private void OnCidChanged(TunnelConnection connection, bool added, ReadOnlySpan<byte> cid)
    {
        var key = CidKey.From(cid);
        if (added)
            _routes[key] = connection;
        else if (_routes.TryGetValue(key, out var owner) && owner == connection)
            _routes.Remove(key);
    }

    private static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span[..address.Size].CopyTo(copy.Buffer.Span);
        return copy;
    }

    public void Dispose()
    {
        foreach (var c in _connections)
            c.Dispose();
        _connections.Clear();
        _routes.Clear();
    }

    /// <summary>A QUIC connection ID (≤ 20 bytes) as a dictionary key, exact and allocation-free.</summary>
    private readonly record struct CidKey(UInt128 Head, uint Tail, int Length)
    {
        public static CidKey From(ReadOnlySpan<byte> cid)
        {
            Span<byte> b = stackalloc byte[20];
            b.Clear();
            cid[..Math.Min(cid.Length, 20)].CopyTo(b);
            return new(BinaryPrimitives.ReadUInt128LittleEndian(b), BinaryPrimitives.ReadUInt32LittleEndian(b[16..]), cid.Length);
        }
    }
}
