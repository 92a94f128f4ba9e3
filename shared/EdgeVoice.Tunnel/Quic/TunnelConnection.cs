using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Media;
using EdgeVoice.Tunnel.Pki;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Tunnel.Quic;

public enum TunnelState
{
    Handshaking,
    Connected,
    Closed,
}

/// <summary>Called with a connection ID this connection starts (true) or stops (false) answering to.</summary>
internal delegate void ConnectionIdChanged(TunnelConnection connection, bool added, ReadOnlySpan<byte> cid);

/// <summary>
/// One tunnel connection, sans-IO: UDP payloads in through <see cref="HandleInput"/>, out through
/// <see cref="TryPollTransmit"/>, timers through <see cref="NextTimeout"/>/<see cref="HandleTimeout"/>.
/// Media frames ride QUIC DATAGRAM frames; control messages ride the first bidirectional stream.
/// Not thread-safe: one owner drives it.
/// </summary>
public sealed unsafe class TunnelConnection : IDisposable
{
    public const ushort ProtocolVersion = 1;

    private readonly TunnelOptions _options;
    private readonly QuicConnectionHandle _handle;
    private GCHandle _self;
    private readonly ConnectionIdChanged? _cidChanged;
    private readonly Queue<TunnelEvent> _events = new();
    private readonly ControlStreamReader _control = new();
    private readonly ReceivedDatagramQueue _received;
    private readonly Dictionary<(ulong, MediaDirection), MediaLossCounter> _loss = [];
    private byte[]? _closePacket;
    private (ulong Code, TunnelError Error, string Reason)? _pendingAppClose;
    private PeerCheckResult? _peerCheck;

    public TunnelState State { get; private set; } = TunnelState.Handshaking;
    public bool IsServer { get; }
    public SocketAddress RemoteAddress { get; }
    /// <summary>The peer's identity, once its certificate passed every check.</summary>
    public NodeIdentity? Peer => _peerCheck is { Accepted: true } r ? r.Identity : null;
    public HelloMessage? PeerHello { get; private set; }
    public TunnelError CloseError { get; private set; }

    public long MediaFramesSent { get; private set; }
    public long MediaFramesNotSent { get; private set; }
    public long MediaFramesReceived { get; private set; }
    public long MediaFramesMalformed { get; private set; }
    /// <summary>Received frames dropped because the application did not take them fast enough.</summary>
    public long MediaFramesDroppedReceiveQueueFull { get; private set; }
    public long ControlMessagesReceived { get; private set; }
    public long ControlMessagesSkipped { get; private set; }

    private TunnelConnection(TunnelOptions options, bool isServer, SocketAddress remote, ConnectionIdChanged? cidChanged, Func<IntPtr, IntPtr> create)
    {
        _options = options;
        IsServer = isServer;
        RemoteAddress = remote;
        _cidChanged = cidChanged;
        _received = new ReceivedDatagramQueue(options.ReceiveQueueFrames, Interop.EvQuic.MaxDatagramPayload);
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        try
        {
            _handle = new QuicConnectionHandle(create(GCHandle.ToIntPtr(_self)), options.Credentials.Handle);
        }
        catch
        {
            _self.Free();
            throw;
        }
    }

    /// <summary>Starts a client connection (the relay dialing a transceiver).</summary>
    public static TunnelConnection Connect(TunnelOptions options, SocketAddress local, SocketAddress remote, TimeSpan now) =>
        Connect(options, local, remote, now, null);

    internal static TunnelConnection Connect(TunnelOptions options, SocketAddress local, SocketAddress remote, TimeSpan now, ConnectionIdChanged? cidChanged)
    {
        EnsureSupported();
        return new TunnelConnection(options, isServer: false, remote, cidChanged, user =>
        {
            var hooks = Hooks();
            var config = ConfigFor(options);
            byte[] alpn = Encoding.ASCII.GetBytes(options.Alpn);
            fixed (byte* a = alpn)
            fixed (byte* l = local.Buffer.Span)
            fixed (byte* r = remote.Buffer.Span)
            {
                config.Alpn = a;
                config.AlpnLength = (nuint)alpn.Length;
                IntPtr conn = Interop.EvQuic.evq_client_new(options.Credentials.Handle, l, local.Size, r, remote.Size,
                    &hooks, user, &config, ToNs(now), out int error);
                return conn != IntPtr.Zero ? conn
                    : throw new TunnelException($"cannot start a tunnel connection: {Interop.EvQuic.ErrorText(error)}", error);
            }
        });
    }

    /// <summary>Accepts a client's first Initial packet; null when the packet cannot start a connection.</summary>
    internal static TunnelConnection? TryAccept(TunnelOptions options, ReadOnlySpan<byte> packet, SocketAddress local, SocketAddress remote, TimeSpan now,
        ConnectionIdChanged cidChanged)
    {
        EnsureSupported();
        byte[] copy = packet.ToArray(); // a lambda cannot capture a span; accepting is rare
        try
        {
            return new TunnelConnection(options, isServer: true, remote, cidChanged, user =>
            {
                var hooks = Hooks();
                var config = ConfigFor(options);
                byte[] alpn = Encoding.ASCII.GetBytes(options.Alpn);
                fixed (byte* a = alpn)
                fixed (byte* p = copy)
                fixed (byte* l = local.Buffer.Span)
                fixed (byte* r = remote.Buffer.Span)
                {
                    config.Alpn = a;
                    config.AlpnLength = (nuint)alpn.Length;
                    IntPtr conn = Interop.EvQuic.evq_server_accept(options.Credentials.Handle, p, (nuint)copy.Length, l, local.Size, r, remote.Size,
                        &hooks, user, &config, ToNs(now), out int error);
                    return conn != IntPtr.Zero ? conn : throw new TunnelException(Interop.EvQuic.ErrorText(error), error);
                }
            });
        }
        catch (TunnelException)
        {
            return null;
        }
    }

    private static void EnsureSupported()
    {
        if (!Interop.EvQuic.IsSupported)
            throw new PlatformNotSupportedException(Interop.EvQuic.NotSupportedReason);
    }

    private static Interop.EvQuic.Hooks Hooks() => new()
    {
        VerifyPeer = &OnVerifyPeer,
        HandshakeCompleted = &OnHandshakeCompleted,
        StreamData = &OnStreamData,
        Datagram = &OnDatagram,
        CidChanged = &OnCidChanged,
    };

    private static Interop.EvQuic.Config ConfigFor(TunnelOptions o) => new()
    {
        IdleTimeoutNs = ToNs(o.IdleTimeout),
        KeepaliveNs = ToNs(o.KeepaliveInterval),
        HandshakeTimeoutNs = ToNs(o.HandshakeTimeout),
        MaxDatagramFrameSize = 65535,
    };

    private static ulong ToNs(TimeSpan t) => (ulong)Math.Max(0, t.Ticks) * 100;

    // ---- sans-IO surface ----

    /// <summary>Feeds one UDP payload received from the peer.</summary>
    public void HandleInput(ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        if (State == TunnelState.Closed)
            return;
        int rv;
        fixed (byte* p = datagram)
            rv = Interop.EvQuic.evq_read(_handle, p, (nuint)datagram.Length, ToNs(now));
        AfterNativeCall(rv, now);
    }

    /// <summary>Writes the next UDP payload to send to <see cref="RemoteAddress"/>; false when there is nothing to send now.</summary>
    public bool TryPollTransmit(Span<byte> destination, TimeSpan now, out int length)
    {
        length = 0;
        if (State != TunnelState.Closed)
        {
            nint n;
            fixed (byte* p = destination)
                n = Interop.EvQuic.evq_write(_handle, p, (nuint)destination.Length, ToNs(now));
            if (n > 0)
            {
                length = (int)n;
                return true;
            }
            if (n < 0)
                AfterNativeCall((int)n, now);
        }
        if (_closePacket is { } close && close.Length <= destination.Length)
        {
            close.CopyTo(destination);
            length = close.Length;
            _closePacket = null;
            return true;
        }
        return false;
    }

    /// <summary>When <see cref="HandleTimeout"/> must next run; null when closed.</summary>
    public TimeSpan? NextTimeout
    {
        get
        {
            if (State == TunnelState.Closed)
                return null;
            ulong ns = Interop.EvQuic.evq_expiry(_handle);
            return ns == ulong.MaxValue ? null : TimeSpan.FromTicks((long)Math.Min(ns / 100, (ulong)TimeSpan.MaxValue.Ticks));
        }
    }

    public void HandleTimeout(TimeSpan now)
    {
        if (State == TunnelState.Closed)
            return;
        AfterNativeCall(Interop.EvQuic.evq_handle_expiry(_handle, ToNs(now)), now);
    }

    public bool TryPollEvent([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TunnelEvent? tunnelEvent) => _events.TryDequeue(out tunnelEvent);

    /// <summary>Queues one media frame as a DATAGRAM; false (and counted) when not connected or the send queue is full.</summary>
    public bool TrySendMedia(in MediaFrame frame)
    {
        Span<byte> buffer = stackalloc byte[Interop.EvQuic.MaxDatagramPayload];
        int n = frame.WriteTo(buffer);
        if (State != TunnelState.Connected || n < 0)
        {
            MediaFramesNotSent++;
            return false;
        }
        int rv;
        fixed (byte* p = buffer)
            rv = Interop.EvQuic.evq_datagram_send(_handle, p, (nuint)n);
        if (rv != 0)
        {
            MediaFramesNotSent++;
            return false;
        }
        MediaFramesSent++;
        return true;
    }

    /// <summary>Takes the oldest received media frame's bytes; parse them with <see cref="MediaFrame.TryParse"/>.</summary>
    public bool TryReceiveMedia(Span<byte> destination, out int length) => _received.TryDequeue(destination, out length);

    public int ReceivedMediaPending => _received.Count;

    /// <summary>Loss statistics of frames received for a (session, direction), or null if none arrived.</summary>
    public MediaLossCounter? LossCounter(ulong sessionId, MediaDirection direction) => _loss.GetValueOrDefault((sessionId, direction));

    /// <summary>Queues a control message on the control stream (reliable, in order).</summary>
    public void SendControl(ControlMessage message)
    {
        if (State == TunnelState.Closed)
            return;
        byte[] record = System.Buffers.ArrayPool<byte>.Shared.Rent(ControlCodec.MaxRecordBodyLength + 4);
        try
        {
            int n = ControlCodec.WriteTo(message, record);
            if (n < 0)
                throw new ArgumentException($"{message.Type} does not fit in one control record", nameof(message));
            fixed (byte* p = record)
                if (Interop.EvQuic.evq_stream_send(_handle, p, (nuint)n) != 0)
                    throw new OutOfMemoryException("control stream buffer");
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(record);
        }
    }

    /// <summary>Puts bytes on the control stream as they are: tests use it to send what a broken peer would.</summary>
    internal void SendRawControlForTest(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
            Interop.EvQuic.evq_stream_send(_handle, p, (nuint)bytes.Length);
    }

    /// <summary>Sends bytes as one DATAGRAM as they are, bypassing the media-frame writer.</summary>
    internal void SendRawDatagramForTest(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
            Interop.EvQuic.evq_datagram_send(_handle, p, (nuint)bytes.Length);
    }

    /// <summary>Closes with an application error code; the CONNECTION_CLOSE goes out on the next poll.</summary>
    public void Close(ulong code, string reason, TimeSpan now) => CloseWithApplicationError(code, TunnelError.ClosedLocally, reason, now);

    internal TunnelStats Stats()
    {
        Interop.EvQuic.evq_get_stats(_handle, out var s);
        return new TunnelStats(s.DatagramsQueued, s.DatagramsDroppedQueueFull, s.DatagramsDroppedTooLarge,
            TimeSpan.FromTicks((long)(s.SmoothedRttNs / 100)), s.CongestionWindow, s.BytesInFlight);
    }

    // ---- state machine ----

    private void AfterNativeCall(int rv, TimeSpan now)
    {
        if (_pendingAppClose is { } app)
        {
            _pendingAppClose = null;
            CloseWithApplicationError(app.Code, app.Error, app.Reason, now);
            return;
        }
        if (rv >= 0 || State == TunnelState.Closed)
            return;
        switch (rv)
        {
            case Interop.EvQuic.NGTCP2_ERR_DISCARD_PKT:
                return;
            case Interop.EvQuic.NGTCP2_ERR_DRAINING:
            case Interop.EvQuic.NGTCP2_ERR_CLOSING:
                // Until the peer's Hello arrives the peer may still be checking our certificate (TLS 1.3
                // client auth completes after the client's handshake does), so a close then is a failed handshake.
                bool established = State == TunnelState.Connected;
                Finish(established ? TunnelError.ClosedByPeer : TunnelError.HandshakeFailed,
                    (established ? "the peer closed the connection: " : "the peer ended the handshake: ") + DescribePeerClose());
                return;
            case Interop.EvQuic.NGTCP2_ERR_IDLE_CLOSE:
                Finish(TunnelError.IdleTimeout, $"no packet from the peer for {_options.IdleTimeout.TotalSeconds:0.###} s");
                return;
            case Interop.EvQuic.NGTCP2_ERR_HANDSHAKE_TIMEOUT:
                Finish(TunnelError.HandshakeTimeout, $"handshake not done within {_options.HandshakeTimeout.TotalSeconds:0.###} s");
                return;
            case Interop.EvQuic.NGTCP2_ERR_DROP_CONN:
                Finish(TunnelError.TransportError, "connection dropped");
                return;
        }
        Interop.EvQuic.evq_get_stats(_handle, out var stats);
        TunnelError error;
        string detail;
        if (_peerCheck is { Accepted: false } refused)
        {
            error = TunnelError.PeerRefused;
            detail = $"{refused.Failure}: {refused.Detail}";
        }
        else if (IsServer && stats.VerifyCalled == 0 && stats.TlsAlert == 116)
        {
            // GnuTLS ends the handshake itself when a client sends no certificate: our check never ran.
            _peerCheck = new PeerCheckResult(PeerCheckFailure.NoCertificate, null, "the peer sent no certificate");
            LogRefusal(_peerCheck.Value);
            error = TunnelError.PeerRefused;
            detail = "NoCertificate: the peer sent no certificate";
        }
        else if (rv == Interop.EvQuic.NGTCP2_ERR_CRYPTO)
        {
            error = TunnelError.HandshakeFailed;
            detail = $"TLS handshake failed (alert {stats.TlsAlert})";
        }
        else
        {
            error = TunnelError.TransportError;
            detail = Interop.EvQuic.ErrorText(rv);
        }
        Span<byte> buffer = stackalloc byte[1500];
        nint n;
        fixed (byte* p = buffer)
            n = Interop.EvQuic.evq_write_close(_handle, p, (nuint)buffer.Length, rv, 0, null, 0, ToNs(now));
        if (n > 0)
            _closePacket = buffer[..(int)n].ToArray();
        Finish(error, detail);
    }

    private void CloseWithApplicationError(ulong code, TunnelError error, string reason, TimeSpan now)
    {
        if (State == TunnelState.Closed)
            return;
        byte[] reasonBytes = Encoding.UTF8.GetBytes(reason.Length > 200 ? reason[..200] : reason);
        Span<byte> buffer = stackalloc byte[1500];
        nint n;
        fixed (byte* p = buffer)
        fixed (byte* r = reasonBytes)
            n = Interop.EvQuic.evq_write_close(_handle, p, (nuint)buffer.Length, 0, code, r, (nuint)reasonBytes.Length, ToNs(now));
        if (n > 0)
            _closePacket = buffer[..(int)n].ToArray();
        Finish(error, reason);
    }

    private void Finish(TunnelError error, string detail)
    {
        if (State == TunnelState.Closed)
            return;
        State = TunnelState.Closed;
        CloseError = error;
        var level = error is TunnelError.ClosedLocally or TunnelError.ClosedByPeer ? LogLevel.Information : LogLevel.Warning;
        _options.Logger.Log(level, "tunnel {Side} {Remote} ({Peer}) closed: {Error}: {Detail}",
            IsServer ? "from" : "to", DescribeRemote(), Peer?.ToString() ?? "unidentified", error, detail);
        _events.Enqueue(new TunnelEvent(TunnelEventKind.Closed, Peer, Error: error,
            PeerCheckFailure: _peerCheck?.Failure ?? PeerCheckFailure.None, Detail: detail));
    }

    /// <summary>The peer's CONNECTION_CLOSE in words: a TLS alert means it refused our certificate or TLS parameters.</summary>
    private string DescribePeerClose()
    {
        Span<byte> reason = stackalloc byte[256];
        nuint full;
        ulong code;
        int type;
        fixed (byte* r = reason)
            full = Interop.EvQuic.evq_peer_close(_handle, out code, out type, r, (nuint)reason.Length);
        string phrase = Encoding.UTF8.GetString(reason[..(int)Math.Min(full, (nuint)reason.Length)]);
        string text = type == 1
            ? $"application error 0x{code:x4}"
            : code is >= 0x100 and <= 0x1ff
                ? $"TLS alert {code - 0x100} ({TlsAlertName((int)(code - 0x100))}){(code - 0x100 is 42 or 116 ? ": the peer refused our certificate" : "")}"
                : $"transport error 0x{code:x}";
        return phrase.Length > 0 ? $"{text}, '{phrase}'" : text;
    }

    private static string TlsAlertName(int alert) => alert switch
    {
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        48 => "unknown_ca",
        80 => "internal_error",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "alert",
    };

    private string DescribeRemote()
    {
        try
        {
            return RemoteAddress.Family is System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6
                ? new IPEndPoint(IPAddress.Any, 0).Create(RemoteAddress).ToString() ?? "?"
                : RemoteAddress.ToString();
        }
        catch (Exception e) when (e is ArgumentException or System.Net.Sockets.SocketException)
        {
            return RemoteAddress.ToString();
        }
    }

    private void LogRefusal(PeerCheckResult r) =>
        _options.Logger.LogWarning("tunnel: refused peer {Remote} ({Identity}): check {Check} failed: {Detail}",
            DescribeRemote(), r.Identity?.ToString() ?? "no identity", r.Failure, r.Detail);

    private int VerifyPeer(Interop.EvQuic.Datum* certs, uint count)
    {
        var chain = new List<byte[]>((int)count);
        for (int i = 0; i < count; i++)
            chain.Add(new ReadOnlySpan<byte>(certs[i].Data, (int)certs[i].Size).ToArray());
        var result = _options.PeerCheck.Check(chain, _options.WallClock.GetUtcNow());
        _peerCheck = result;
        if (!result.Accepted)
        {
            LogRefusal(result);
            return (int)result.Failure;
        }
        return 0;
    }

    private void HandshakeCompleted()
    {
        SendControl(new HelloMessage(ProtocolVersion, _options.Self.Role, _options.Self.Name, _options.Capacity));
    }

    private void StreamData(ReadOnlySpan<byte> data)
    {
        if (_pendingAppClose is not null || State == TunnelState.Closed)
            return;
        _control.Append(data);
        while (true)
        {
            var result = _control.TryRead(out var message, out var error);
            switch (result)
            {
                case ControlReadResult.NeedMore:
                    return;
                case ControlReadResult.SkippedUnknown:
                    ControlMessagesSkipped++;
                    continue;
                case ControlReadResult.Malformed:
                    _pendingAppClose = (TunnelCloseCode.MalformedControl, TunnelError.MalformedControl, $"malformed control record: {error}");
                    return;
            }
            ControlMessagesReceived++;
            if (PeerHello is null)
            {
                if (message is not HelloMessage hello)
                {
                    _pendingAppClose = (TunnelCloseCode.MalformedControl, TunnelError.MalformedControl, $"first control message was {message!.Type}, not Hello");
                    return;
                }
                if (hello.ProtocolVersion != ProtocolVersion)
                {
                    _pendingAppClose = (TunnelCloseCode.VersionMismatch, TunnelError.VersionMismatch, $"peer speaks tunnel protocol {hello.ProtocolVersion}, this side {ProtocolVersion}");
                    return;
                }
                if (Peer is not { } peer || hello.Role != peer.Role || hello.NodeName != peer.Name)
                {
                    _pendingAppClose = (TunnelCloseCode.IdentityMismatch, TunnelError.IdentityMismatch, $"Hello says {hello.Role}/{hello.NodeName}, certificate says {Peer}");
                    return;
                }
                PeerHello = hello;
                State = TunnelState.Connected;
                _options.Logger.LogInformation("tunnel {Side} {Remote} connected: peer {Peer}, capacity {Capacity}",
                    IsServer ? "from" : "to", DescribeRemote(), peer, hello.Capacity);
                _events.Enqueue(new TunnelEvent(TunnelEventKind.Connected, peer, hello));
                continue;
            }
            _events.Enqueue(new TunnelEvent(TunnelEventKind.Message, Peer, message));
        }
    }

    private void Datagram(ReadOnlySpan<byte> data)
    {
        if (!MediaFrame.TryParse(data, out var frame, out _))
        {
            MediaFramesMalformed++;
            return;
        }
        MediaFramesReceived++;
        if (!_received.TryEnqueue(data))
        {
            MediaFramesDroppedReceiveQueueFull++; // never reaches the application: the loss counter sees a gap
            return;
        }
        var key = (frame.SessionId, frame.Direction);
        ref var counter = ref CollectionsMarshal.GetValueRefOrAddDefault(_loss, key, out _);
        counter ??= new MediaLossCounter();
        counter.Record(frame.Sequence);
    }

    // ---- native callbacks: find the connection, never let an exception escape ----

    private static TunnelConnection? From(IntPtr user) => GCHandle.FromIntPtr(user).Target as TunnelConnection;

    [UnmanagedCallersOnly]
    private static int OnVerifyPeer(IntPtr user, Interop.EvQuic.Datum* certs, uint count)
    {
        try
        {
            return From(user)?.VerifyPeer(certs, count) ?? -1;
        }
        catch (Exception)
        {
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static int OnHandshakeCompleted(IntPtr user, byte* alpn, nuint alpnLength)
    {
        try
        {
            var c = From(user);
            if (c is null) return -1;
            c.HandshakeCompleted();
            return 0;
        }
        catch (Exception)
        {
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static int OnStreamData(IntPtr user, long streamId, int fin, byte* data, nuint length)
    {
        try
        {
            var c = From(user);
            if (c is null) return -1;
            c.StreamData(new ReadOnlySpan<byte>(data, (int)length));
            return 0;
        }
        catch (Exception)
        {
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static int OnDatagram(IntPtr user, byte* data, nuint length)
    {
        try
        {
            var c = From(user);
            if (c is null) return -1;
            c.Datagram(new ReadOnlySpan<byte>(data, (int)length));
            return 0;
        }
        catch (Exception)
        {
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static int OnCidChanged(IntPtr user, int added, byte* cid, nuint length)
    {
        try
        {
            var c = From(user);
            if (c is null) return -1;
            c._cidChanged?.Invoke(c, added != 0, new ReadOnlySpan<byte>(cid, (int)length));
            return 0;
        }
        catch (Exception)
        {
            return -1;
        }
    }

    public void Dispose()
    {
        _handle.Dispose();
        if (_self.IsAllocated)
            _self.Free();
    }
}

/// <summary>Transport statistics of one connection.</summary>
public readonly record struct TunnelStats(ulong DatagramsQueued, ulong DatagramsDroppedQueueFull, ulong DatagramsDroppedTooLarge,
    TimeSpan SmoothedRtt, ulong CongestionWindow, ulong BytesInFlight);
