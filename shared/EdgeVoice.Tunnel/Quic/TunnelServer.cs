using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Media;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Tunnel.Quic;

/// <summary>Receives one media frame's bytes (parse with <see cref="MediaFrame.TryParse"/>); valid only during the call.</summary>
public delegate void MediaReceived(TunnelConnection connection, ReadOnlySpan<byte> frame);

/// <summary>
/// The transceiver's UDP loop around a <see cref="TunnelListener"/>: one socket, one thread.
/// Handlers run on that thread while it holds the tunnel lock; they may send, but should not block.
/// </summary>
public sealed class TunnelServer : IDisposable
{
    private readonly TunnelListener _listener;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly object _gate = new();
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly byte[] _sendBuffer = new byte[2048];
    private readonly Thread _thread;
    private volatile bool _stopping;

    public event Action<TunnelConnection, TunnelEvent>? EventReceived;
    public event MediaReceived? MediaReceived;

    /// <param name="socket">A bound UDP socket (the transceiver's tunnel port); the server owns it from now on.</param>
    public TunnelServer(TunnelOptions options, Socket socket)
    {
        _socket = socket;
        _logger = options.Logger;
        _listener = new TunnelListener(options, socket.LocalEndPoint!.Serialize());
        _thread = new Thread(Run) { IsBackground = true, Name = "tunnel-server" };
    }

    public static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(endpoint);
        return socket;
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public IReadOnlyList<TunnelConnection> Connections
    {
        get { lock (_gate) return _listener.Connections.ToList(); }
    }

    public void Start() => _thread.Start();

    /// <summary>A connection's transport statistics (smoothed RTT, congestion window), read under the tunnel lock; false once it is gone.</summary>
    public bool TryGetStats(TunnelConnection connection, out TunnelStats stats)
    {
        lock (_gate)
        {
            if (connection.State != TunnelState.Connected || !_listener.Connections.Contains(connection))
            {
                stats = default;
                return false;
            }
            stats = connection.Stats();
            return true;
        }
    }

    private TimeSpan Now => Stopwatch.GetElapsedTime(_start);

    public bool TrySendMedia(TunnelConnection connection, in MediaFrame frame)
    {
        lock (_gate)
        {
            bool queued = connection.TrySendMedia(frame);
            Flush();
            return queued;
        }
    }

    public void SendControl(TunnelConnection connection, ControlMessage message)
    {
        lock (_gate)
        {
            connection.SendControl(message);
            Flush();
        }
    }

    private void Run()
    {
        byte[] buffer = new byte[2048];
        byte[] frame = new byte[2048];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_stopping)
        {
            TimeSpan? next;
            lock (_gate) next = _listener.NextTimeout;
            int waitMicroseconds = next is { } t ? (int)Math.Clamp((t - Now).TotalMicroseconds, 0, 50_000) : 50_000;
            bool readable;
            try
            {
                readable = _socket.Poll(waitMicroseconds, SelectMode.SelectRead);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopping) return;
                continue;
            }
            lock (_gate)
            {
                if (_stopping) return;
                while (readable && _socket.Available > 0)
                {
                    int n;
                    try
                    {
                        n = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
                    }
                    catch (SocketException)
                    {
                        break; // an ICMP error for an earlier send; nothing to read
                    }
                    _listener.HandleInput(buffer.AsSpan(0, n), from, Now);
                }
                _listener.HandleTimeout(Now);
                Flush();
                while (_listener.TryPollEvent(out var connection, out var e))
                {
                    try
                    {
                        EventReceived?.Invoke(connection, e);
                    }
                    catch (Exception ex)
                    {
                        _logger.LogError(ex, "tunnel: event handler failed on {Kind} from {Peer}", e.Kind, e.Peer);
                    }
                }
                foreach (var connection in _listener.Connections)
                {
                    while (connection.TryReceiveMedia(frame, out int length))
                    {
                        try
                        {
                            MediaReceived?.Invoke(connection, frame.AsSpan(0, length));
                        }
                        catch (Exception ex)
                        {
                            _logger.LogError(ex, "tunnel: media handler failed for {Peer}", connection.Peer);
                        }
                    }
                }
                Flush();
            }
        }
    }

    private void Flush()
    {
        var now = Now;
        while (_listener.TryPollTransmit(_sendBuffer, now, out int length, out var remote))
        {
            try
            {
                _socket.SendTo(_sendBuffer.AsSpan(0, length), SocketFlags.None, remote);
            }
            catch (SocketException)
            {
                // The path is down; QUIC's timers decide when the connection is gone.
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_thread.IsAlive)
            _thread.Join();
        lock (_gate)
        {
            // CONNECTION_CLOSE to every relay, so a clean stop is seen at once rather than after the idle timeout.
            foreach (var connection in _listener.Connections)
                connection.Close(TunnelCloseCode.Normal, "transceiver stopping", Now);
            Flush();
            _listener.Dispose();
            _socket.Dispose();
        }
    }
}
