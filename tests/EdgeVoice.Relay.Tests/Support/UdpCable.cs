using System.Net;
using System.Net.Sockets;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>
/// A UDP forwarder on loopback between a client and one server address that a test can cut: then every datagram is
/// dropped both ways, as when a host vanishes without a word (no close, no reset).
/// </summary>
public sealed class UdpCable : IDisposable
{
    private readonly Socket _front = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _back = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _forward;
    private readonly Task _backward;
    private EndPoint? _client;
    private volatile bool _cut;

    public UdpCable(IPEndPoint server)
    {
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back.Connect(server);
        _forward = Task.Run(ForwardAsync);
        _backward = Task.Run(BackwardAsync);
    }

    /// <summary>Where the client sends to reach the server.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_front.LocalEndPoint!;

    public long DroppedAfterCut;

    public void Cut() => _cut = true;

    private async Task ForwardAsync()
    {
        var buffer = new byte[65_536];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _front.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            _client = received.RemoteEndPoint;
            if (_cut)
                Interlocked.Increment(ref DroppedAfterCut);
            else
                await SendQuietlyAsync(_back, buffer.AsMemory(0, received.ReceivedBytes), null);
        }
    }

    private async Task BackwardAsync()
    {
        var buffer = new byte[65_536];
        while (!_stop.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await _back.ReceiveAsync(buffer, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // A refused datagram (server not listening yet) shows as a SocketException on a connected socket.
                if (_stop.IsCancellationRequested) return;
                continue;
            }
            if (_cut)
                Interlocked.Increment(ref DroppedAfterCut);
            else if (_client is { } client)
                await SendQuietlyAsync(_front, buffer.AsMemory(0, length), client);
        }
    }

    private async Task SendQuietlyAsync(Socket socket, ReadOnlyMemory<byte> datagram, EndPoint? to)
    {
        try
        {
            if (to is null) await socket.SendAsync(datagram, _stop.Token);
            else await socket.SendToAsync(datagram, to, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _front.Dispose();
        _back.Dispose();
        Task.WaitAll([_forward, _backward], TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
