using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeVoice.Transceiver.Metrics;

/// <summary>
/// A minimal HTTP/1.1 listener for Prometheus scrapes: <c>GET /metrics</c> answers the text from <c>render</c>, anything
/// else 404/405, one request per connection. Requests are bounded (8 KiB of headers, 5 s to send them), so a stuck or
/// hostile client holds one task, never the node.
/// </summary>
public sealed class MetricsListener : IAsyncDisposable
{
    private const int MaxRequestBytes = 8192;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpListener _listener;
    private readonly Func<string> _render;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    private MetricsListener(TcpListener listener, Func<string> render, Action<string> log)
    {
        _listener = listener;
        _render = render;
        _log = log;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>Binds and starts serving; throws <see cref="SocketException"/> when the address cannot be bound.</summary>
    public static MetricsListener Start(IPEndPoint endPoint, Func<string> render, Action<string> log)
    {
        var listener = new TcpListener(endPoint);
        listener.Start();
        return new MetricsListener(listener, render, log);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException ex)
            {
                _log($"metrics: accept failed: {ex.Message}");
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
        {
            timeout.CancelAfter(RequestTimeout);
            try
            {
                var stream = client.GetStream();
                string? requestLine = await ReadRequestLineAsync(stream, timeout.Token);
                var (status, contentType, body) = Answer(requestLine);
                byte[] payload = Encoding.UTF8.GetBytes(body);
                string head = $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {payload.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
                if (!requestLine.AsSpan().StartsWith("HEAD "))
                    await stream.WriteAsync(payload, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The scraper went away or was too slow; nothing to answer.
            }
        }
    }

    /// <summary>The status line, content type and body for a request line (null: the request was too large or cut short).</summary>
    internal (string Status, string ContentType, string Body) Answer(string? requestLine)
    {
        if (requestLine is null)
            return ("400 Bad Request", "text/plain; charset=utf-8", "bad request\n");
        var parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            return ("400 Bad Request", "text/plain; charset=utf-8", "bad request\n");
        string path = parts[1].Split('?')[0];
        if (path != "/metrics")
            return ("404 Not Found", "text/plain; charset=utf-8", "not found: the metrics are at /metrics\n");
        if (parts[0] is not ("GET" or "HEAD"))
            return ("405 Method Not Allowed", "text/plain; charset=utf-8", "use GET\n");
        try
        {
            return ("200 OK", EdgeVoice.Tunnel.Metrics.PrometheusText.ContentType, _render());
        }
        catch (Exception ex)
        {
            _log($"metrics: rendering failed: {ex}");
            return ("500 Internal Server Error", "text/plain; charset=utf-8", "metrics unavailable\n");
        }
    }

    /// <summary>Reads the request head (up to the blank line) and returns its first line; null when too long, cut short or not ASCII.</summary>
    private static async Task<string?> ReadRequestLineAsync(NetworkStream stream, CancellationToken cancel)
    {
        var buffer = new byte[MaxRequestBytes];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), cancel);
            if (read == 0)
                return null;
            length += read;
            int end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end < 0)
                continue;
            int lineEnd = buffer.AsSpan(0, end).IndexOf("\r\n"u8);
            var line = buffer.AsSpan(0, lineEnd < 0 ? end : lineEnd);
            foreach (byte b in line)
                if (b is < 0x20 or > 0x7E)
                    return null;
            return Encoding.ASCII.GetString(line);
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        await _accepting;
    }
}
