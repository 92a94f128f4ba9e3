using System.Net;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>
/// Serves tests/clients/ at http://127.0.0.1:PORT/ (a secure context for getUserMedia) and, when
/// given a relay, forwards /v1/* to it, so that the page calls the relay from its own origin
/// whether or not the relay sends CORS headers.
/// </summary>
public sealed class TestPageServer : IAsyncDisposable
{
    private static readonly HttpClient Upstream = new() { Timeout = TimeSpan.FromSeconds(15) };
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
    };

    private readonly HttpListener _listener;
    private readonly Uri? _relay;
    private readonly Task _serving;

    private TestPageServer(HttpListener listener, Uri baseUri, Uri? relay)
    {
        _listener = listener;
        BaseUri = baseUri;
        _relay = relay;
        _serving = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }

    public Uri CallPage => new(BaseUri, "call.html");

    public static TestPageServer Start(Uri? relay)
    {
        for (var attempt = 0; ; attempt++)
        {
            var baseUri = new Uri($"http://127.0.0.1:{FreePort.Tcp()}/");
            var listener = new HttpListener();
            listener.Prefixes.Add(baseUri.ToString());
            try
            {
                listener.Start();
                return new TestPageServer(listener, baseUri, relay);
            }
            catch (HttpListenerException) when (attempt < 3)
            {
                listener.Close();
            }
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => RespondAsync(context));
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var path = context.Request.Url!.AbsolutePath;
            if (path.StartsWith("/v1/", StringComparison.Ordinal) && _relay is not null)
            {
                await ForwardAsync(context.Request, response);
            }
            else if (context.Request.HttpMethod == "GET" && ClientFile(path) is { } file)
            {
                response.ContentType = ContentTypes[Path.GetExtension(file)];
                response.Headers["Cache-Control"] = "no-store";
                var bytes = await File.ReadAllBytesAsync(file);
                await response.OutputStream.WriteAsync(bytes);
            }
            else
            {
                response.StatusCode = 404;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            response.StatusCode = 502;
        }
        catch (HttpListenerException)
        {
            // The browser went away mid-response.
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>A file directly in tests/clients/ with a served extension, or null.</summary>
    private static string? ClientFile(string path)
    {
        var name = path.TrimStart('/');
        if (name.Length == 0 || name.Contains('/') || name.Contains("..") || !ContentTypes.ContainsKey(Path.GetExtension(name)))
        {
            return null;
        }
        var file = Path.Combine(RepoPaths.Clients, name);
        return File.Exists(file) ? file : null;
    }

    private async Task ForwardAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_relay!, request.Url!.PathAndQuery));
        if (request.Headers["Authorization"] is { } authorization)
        {
            forward.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        if (request.HasEntityBody)
        {
            using var body = new MemoryStream();
            await request.InputStream.CopyToAsync(body);
            forward.Content = new ByteArrayContent(body.ToArray());
            if (request.ContentType is { } contentType)
            {
                forward.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }

        using var answer = await Upstream.SendAsync(forward);
        response.StatusCode = (int)answer.StatusCode;
        if (answer.Headers.Location is { } location)
        {
            response.Headers["Location"] = location.OriginalString;
        }
        var bytes = await answer.Content.ReadAsByteArrayAsync();
        if (answer.Content.Headers.ContentType is { } type)
        {
            response.ContentType = type.ToString();
        }
        if (bytes.Length > 0)
        {
            await response.OutputStream.WriteAsync(bytes);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
