using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Media;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Tunnel.Quic;

/// <summary>How long the client waits between attempts: doubling from Initial to Max, with ±20 % jitter.</summary>
public sealed record ReconnectBackoff(TimeSpan Initial, TimeSpan Max)
{
    public static ReconnectBackoff Default { get; } = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));

    public TimeSpan Delay(int attempt, double jitter01)
    {
        double ms = Math.Min(Max.TotalMilliseconds, Initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20)));
        return TimeSpan.FromMilliseconds(ms * (0.8 + 0.4 * jitter01));
    }
}

/// <summary>
/// The relay's side: dials one transceiver and keeps dialing. When the connection closes (server
/// restart, broken path, idle timeout) it waits per <see cref="ReconnectBackoff"/> and dials again
/// from a fresh socket; the application sees Connected, Closed and Reconnected events.
/// Handlers run on the client's thread while it holds the tunnel lock; they may send, not block.
/// </summary>
public sealed class TunnelClient : IDisposable
{
    private readonly TunnelOptions _options;
    private readonly IPEndPoint _server;
    private readonly SocketAddress _serverAddress;
    private readonly ReconnectBackoff _backoff;
    private readonly Func<Socket> _socketFactory;
    private readonly object _gate = new();
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly byte[] _sendBuffer = new byte[2048];
    private readonly ManualResetEventSlim _stopped = new();
    private readonly Thread _thread;
    private TunnelConnection? _connection;
    private Socket? _socket;
    private bool _everConnected;

    public event Action<TunnelEvent>? EventReceived;
    public event Action<ReadOnlySpan<byte>>? MediaReceived;

    /// <param name="socketFactory">Makes a bound UDP socket for each attempt; by default an ephemeral port on any address.</param>
    public TunnelClient(TunnelOptions options, IPEndPoint server, ReconnectBackoff? backoff = null, Func<Socket>? socketFactory = null)
    {
        _options = options;
        _server = server;
        _serverAddress = server.Serialize();
        _backoff = backoff ?? ReconnectBackoff.Default;
        _socketFactory = socketFactory ?? (() =>
        {
            var s = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            return s;
        });
        _thread = new Thread(Run) { IsBackground = true, Name = "tunnel-client" };
    }

    public int Attempts { get; private set; }
    public int Reconnects { get; private set; }

    public bool IsConnected
    {
        get { lock (_gate) return _connection?.State == TunnelState.Connected; }
    }

    /// <summary>The current connection (null between attempts). Use only under the client's handlers or for statistics.</summary>
    public TunnelConnection? Connection
    {
        get { lock (_gate) return _connection; }
    }

    public void Start() => _thread.Start();

    /// <summary>The live connection's transport statistics (smoothed RTT, congestion window), read under the tunnel lock; false between attempts.</summary>
    public bool TryGetStats(out TunnelStats stats)
    {
        lock (_gate)
        {
            if (_connection is not { State: TunnelState.Connected } connection)
            {
                stats = default;
                return false;
            }
            stats = connection.Stats();
            return true;
        }
    }

    private TimeSpan Now => Stopwatch.GetElapsedTime(_start);

    public bool TrySendMedia(in MediaFrame frame)
    {
        lock (_gate)
        {
            if (_connection is null) return false;
            bool queued = _connection.TrySendMedia(frame);
            Flush();
            return queued;
        }
    }

    /// <summary>Queues a control message; false when there is no connection to carry it.</summary>
    public bool SendControl(ControlMessage message)
    {
        lock (_gate)
        {
            if (_connection is not { State: TunnelState.Connected }) return false;
            _connection.SendControl(message);
            Flush();
            return true;
        }
    }

    /// <summary>
    /// Closes the current connection at once (e.g. the application's own liveness check gave up on a silent peer, far
    /// sooner than QUIC's idle timeout); the Closed event is delivered before this returns, and the client dials again.
    /// </summary>
    public void Drop(string reason)
    {
        lock (_gate)
        {
            if (_connection is not { State: not TunnelState.Closed } connection) return;
            connection.Close(TunnelCloseCode.Normal, reason, Now);
            Flush();
            while (connection.TryPollEvent(out var e))
                Deliver(e);
        }
    }

    private void Run()
    {
        int failures = 0;
        while (!_stopped.IsSet)
        {
            bool connected = RunOneConnection();
            failures = connected ? 0 : failures + 1;
            if (_stopped.IsSet) return;
            var delay = _backoff.Delay(failures, Random.Shared.NextDouble());
            _options.Logger.LogInformation("tunnel to {Server}: dialing again in {Delay} ms", _server, (int)delay.TotalMilliseconds);
            _stopped.Wait(delay);
        }
    }

    /// <summary>Dials, runs the connection until it closes; true if it got as far as Connected.</summary>
    private bool RunOneConnection()
    {
        bool reachedConnected = false;
        byte[] buffer = new byte[2048];
        byte[] frame = new byte[2048];
        Socket socket;
        try
        {
            socket = _socketFactory();
        }
        catch (SocketException e)
        {
            _options.Logger.LogWarning("tunnel to {Server}: no socket: {Error}", _server, e.Message);
            return false;
        }
        var remote = _serverAddress;
        var from = new SocketAddress(socket.AddressFamily);
        lock (_gate)
        {
            Attempts++;
            try
            {
                _connection = TunnelConnection.Connect(_options, socket.LocalEndPoint!.Serialize(), remote, Now);
            }
            catch (TunnelException e)
            {
                _options.Logger.LogError("tunnel to {Server}: cannot start a connection: {Error}", _server, e.Message);
                socket.Dispose();
                return false;
            }
            _socket = socket;
            Flush();
        }
        var connection = _connection;
        try
        {
            while (!_stopped.IsSet)
            {
                TimeSpan? next;
                lock (_gate) next = connection.NextTimeout;
                if (next is null)
                    break; // closed, and the CONNECTION_CLOSE (if any) has been sent
                int waitMicroseconds = (int)Math.Clamp((next.Value - Now).TotalMicroseconds, 0, 50_000);
                bool readable;
                try
                {
                    readable = socket.Poll(waitMicroseconds, SelectMode.SelectRead);
                }
                catch (SocketException)
                {
                    readable = false;
                }
                lock (_gate)
                {
                    while (readable && socket.Available > 0)
                    {
                        int n;
                        try
                        {
                            n = socket.ReceiveFrom(buffer, SocketFlags.None, from);
                        }
                        catch (SocketException)
                        {
                            break; // ICMP unreachable from a dead server: the idle timer decides
                        }
                        connection.HandleInput(buffer.AsSpan(0, n), Now);
                    }
                    if (connection.NextTimeout is { } t && t <= Now)
                        connection.HandleTimeout(Now);
                    Flush();
                    while (connection.TryPollEvent(out var e))
                    {
                        if (e.Kind == TunnelEventKind.Connected)
                        {
                            reachedConnected = true;
                            if (_everConnected)
                            {
                                Reconnects++;
                                e = e with { Kind = TunnelEventKind.Reconnected };
                            }
                            _everConnected = true;
                        }
                        Deliver(e);
                    }
                    while (connection.TryReceiveMedia(frame, out int length))
                    {
                        try
                        {
                            MediaReceived?.Invoke(frame.AsSpan(0, length));
                        }
                        catch (Exception ex)
                        {
                            _options.Logger.LogError(ex, "tunnel to {Server}: media handler failed", _server);
                        }
                    }
                    Flush();
                }
            }
            lock (_gate)
            {
                if (connection.State != TunnelState.Closed)
                {
                    connection.Close(TunnelCloseCode.Normal, "relay shutting down", Now);
                    Flush();
                    while (connection.TryPollEvent(out var e))
                        Deliver(e);
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _connection = null;
                _socket = null;
                connection.Dispose();
                socket.Dispose();
            }
        }
        return reachedConnected;
    }

    private void Deliver(TunnelEvent e)
    {
        try
        {
            EventReceived?.Invoke(e);
        }
        catch (Exception ex)
        {
            _options.Logger.LogError(ex, "tunnel to {Server}: event handler failed on {Kind}", _server, e.Kind);
        }
    }

    private void Flush()
    {
        if (_connection is null || _socket is null) return;
        var now = Now;
        while (_connection.TryPollTransmit(_sendBuffer, now, out int length))
        {
            try
            {
                _socket.SendTo(_sendBuffer.AsSpan(0, length), SocketFlags.None, _serverAddress);
            }
            catch (SocketException)
            {
                // Unreachable right now; the connection's timers handle it.
            }
        }
    }

    public void Dispose()
    {
        _stopped.Set();
        if (_thread.IsAlive)
            _thread.Join();
        _stopped.Dispose();
    }
}
