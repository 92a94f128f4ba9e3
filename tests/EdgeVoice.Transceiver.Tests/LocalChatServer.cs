using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeVoice.Transceiver.Tests;

/// <summary>A real HTTP/1.1 server on 127.0.0.1 that plays an OpenAI-compatible streaming endpoint, or misbehaves.</summary>
public sealed class LocalChatServer : IAsyncDisposable
{
    public enum Mode { Stream, Error, Stall, Garbage }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    public LocalChatServer()
    {
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1");
    public Mode Behaviour { get; set; } = Mode.Stream;
    public string[] Tokens { get; set; } = ["Hello", " there.", " The answer", " is forty", " two.", " Good", "bye."];
    public List<(string Path, string Authorization, string Body)> Requests { get; } = new();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
            string requestLine = await reader.ReadLineAsync(_stop.Token) ?? "";
            int length = 0;
            string authorization = "";
            while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } header)
            {
                if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) length = int.Parse(header[15..].Trim());
                if (header.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase)) authorization = header[14..].Trim();
            }
            var body = new char[length];
            int read = 0;
            while (read < length) read += await reader.ReadAsync(body.AsMemory(read), _stop.Token);
            lock (Requests) Requests.Add((requestLine.Split(' ')[1], authorization, new string(body)));

            async Task Send(string text) { await stream.WriteAsync(Encoding.UTF8.GetBytes(text), _stop.Token); await stream.FlushAsync(_stop.Token); }
            switch (Behaviour)
            {
                case Mode.Error:
                    await Send("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 27\r\nConnection: close\r\n\r\n{\"error\":\"model is broken\"}");
                    break;
                case Mode.Garbage:
                    await Send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: {not json\n\n");
                    break;
                case Mode.Stall:
                    await Send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + Chunk("Let me think"));
                    await Task.Delay(Timeout.Infinite, _stop.Token); // never finishes
                    break;
                default:
                    await Send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
                    foreach (var token in Tokens) await Send(Chunk(token));
                    await Send("data: [DONE]\n\n");
                    break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException) { }
    }

    private static string Chunk(string token)
    {
        var escaped = System.Text.Json.JsonEncodedText.Encode(token).ToString();
        return $"data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{escaped}\"}}}}]}}\n\n";
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _accept; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
