using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EdgeVoice.Tunnel.Tests;

/// <summary>
/// A UDP forwarder on loopback that drops and delays datagrams both ways (user-space netem), for
/// machines whose kernel lacks sch_netem. The client talks to <see cref="EndPoint"/>.
/// </summary>
public sealed class ImpairedUdpPath : IDisposable
{
    private readonly Socket _front;
    private readonly Socket _back;
    private readonly IPEndPoint _server;
    private readonly double _loss;
    private readonly TimeSpan _delay;
    private readonly Random _rng = new(5);
    private readonly PriorityQueue<(byte[] Data, bool ToServer), long> _pending = new();
    private readonly Thread _thread;
    private volatile bool _stop;
    private EndPoint? _client;

    public ImpairedUdpPath(IPEndPoint server, double loss, TimeSpan delay)
    {
        _server = server;
        _loss = loss;
        _delay = delay;
        _front = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _back = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _back.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _thread = new Thread(Run) { IsBackground = true };
        _thread.Start();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_front.LocalEndPoint!;
    public int Dropped { get; private set; }

    private void Run()
    {
        var buffer = new byte[2048];
        var sockets = new List<Socket>(2);
        while (!_stop)
        {
            sockets.Clear();
            sockets.Add(_front);
            sockets.Add(_back);
            Socket.Select(sockets, null, null, 1000);
            long now = Stopwatch.GetTimestamp();
            foreach (var s in sockets)
            {
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                int n = s.ReceiveFrom(buffer, ref from);
                if (s == _front) _client = from;
                if (_rng.NextDouble() < _loss) { Dropped++; continue; }
                _pending.Enqueue((buffer.AsSpan(0, n).ToArray(), s == _front), now + (long)(_delay.TotalSeconds * Stopwatch.Frequency));
            }
            while (_pending.TryPeek(out var item, out long due) && due <= Stopwatch.GetTimestamp())
            {
                _pending.Dequeue();
                if (item.ToServer) _back.SendTo(item.Data, _server);
                else if (_client is not null) _front.SendTo(item.Data, _client);
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        _front.Dispose();
        _back.Dispose();
    }
}
