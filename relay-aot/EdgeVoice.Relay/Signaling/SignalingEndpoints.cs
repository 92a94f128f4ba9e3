using System.Text;
using System.Text.Json.Serialization;
using EdgeVoice.Relay.Configuration;
using EdgeVoice.Relay.Transceivers;

namespace EdgeVoice.Relay.Signaling;

/// <summary>
/// The HTTP API (the shape of an OpenAI Realtime WebRTC call): POST an SDP offer, get the answer; DELETE to hang up;
/// POST /v1/tokens to mint a short-lived client token for browser pages.
/// </summary>
internal sealed class SignalingEndpoints
{
    private readonly CallAdmission _admission;
    private readonly CallerAuthorizer _authorizer;
    private readonly RelayMetrics _metrics;
    private readonly MetricsAccess _metricsAccess;
    private readonly int _maxOfferBytes;
    private readonly ILogger _logger;
    private readonly ICallEventSource? _events;

    public SignalingEndpoints(CallAdmission admission, CallerAuthorizer authorizer, RelayMetrics metrics, MetricsAccess metricsAccess, int maxOfferBytes, ILogger logger,
        ICallEventSource? events = null)
    {
        _events = events;
        _admission = admission;
        _authorizer = authorizer;
        _metrics = metrics;
        _metricsAccess = metricsAccess;
        _maxOfferBytes = maxOfferBytes;
        _logger = logger;
    }

    public void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/calls", CreateCallAsync);
        routes.MapDelete("/v1/calls/{id}", HangUp);
        routes.MapGet("/v1/calls/{id}/events", StreamEventsAsync);
        routes.MapPost("/v1/tokens", MintTokenAsync);
        routes.MapGet("/v1/stats", Stats);
        if (_metricsAccess != MetricsAccess.Off)
            routes.MapGet("/metrics", Metrics);
        routes.MapGet("/healthz", context => context.Response.WriteAsync("ok"));
    }

    private async Task CreateCallAsync(HttpContext context)
    {
        if (!_authorizer.TryAuthorizeCaller(context.Request.Headers.Authorization, context.Request.Headers.Origin, DateTimeOffset.UtcNow,
                out var grant, out string? denial))
        {
            await Problem(context, StatusCodes.Status401Unauthorized, denial);
            return;
        }
        var contentType = context.Request.ContentType;
        if (contentType is null || !contentType.StartsWith("application/sdp", StringComparison.OrdinalIgnoreCase))
        {
            await Problem(context, StatusCodes.Status415UnsupportedMediaType, "Content-Type must be application/sdp");
            return;
        }
        string? offer = await ReadBodyAsync(context.Request, _maxOfferBytes);
        if (offer is null)
        {
            await Problem(context, StatusCodes.Status413PayloadTooLarge, $"the offer is larger than {_maxOfferBytes} bytes");
            return;
        }
        var admission = _admission.Admit(offer, grant.MaxCallDuration);
        switch (admission.Status)
        {
            case AdmissionStatus.BadOffer:
                await Problem(context, StatusCodes.Status400BadRequest, admission.Reason);
                return;
            case AdmissionStatus.Full:
                context.Response.Headers.RetryAfter = "1";
                await Problem(context, StatusCodes.Status503ServiceUnavailable, admission.Reason);
                return;
        }
        _logger.LogInformation("call created trace_id={TraceId} peer={Peer}", admission.CallId, context.Connection.RemoteIpAddress);
        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.Headers.Location = $"/v1/calls/{admission.CallId}";
        context.Response.ContentType = "application/sdp";
        await context.Response.WriteAsync(admission.Answer!);
    }

    private Task HangUp(HttpContext context)
    {
        if (!_authorizer.TryAuthorizeCaller(context.Request.Headers.Authorization, context.Request.Headers.Origin, DateTimeOffset.UtcNow,
                out _, out string? denial))
            return Problem(context, StatusCodes.Status401Unauthorized, denial);
        string id = (string)context.Request.RouteValues["id"]!;
        if (!_admission.HangUp(id))
            return Problem(context, StatusCodes.Status404NotFound, "no such call");
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    /// <summary>Server-sent events: the call's transcripts, agent text and agent states as the transceiver reports them, until the call ends.</summary>
    private async Task StreamEventsAsync(HttpContext context)
    {
        if (!_authorizer.TryAuthorizeCaller(context.Request.Headers.Authorization, context.Request.Headers.Origin, DateTimeOffset.UtcNow,
                out _, out string? denial))
        {
            await Problem(context, StatusCodes.Status401Unauthorized, denial);
            return;
        }
        string id = (string)context.Request.RouteValues["id"]!;
        if (_events is null)
        {
            await Problem(context, StatusCodes.Status404NotFound, "this relay echoes calls (no transceivers: section), so calls have no events");
            return;
        }
        if (!_events.TrySubscribe(id, out var subscription))
        {
            await Problem(context, StatusCodes.Status404NotFound, "no such call");
            return;
        }
        using (subscription)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.Body.FlushAsync(context.RequestAborted);
            try
            {
                await foreach (var e in subscription!.Reader.ReadAllAsync(context.RequestAborted))
                {
                    string json = System.Text.Json.JsonSerializer.Serialize(new CallEventData(e.Kind, e.Text, (long)e.At.TotalMilliseconds), SignalingJson.Default.CallEventData);
                    await context.Response.WriteAsync($"event: {e.Kind}\ndata: {json}\n\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
                string ended = subscription.Ending is { } ending
                    ? System.Text.Json.JsonSerializer.Serialize(new CallEndedData(ending.Reason, ending.Detail), SignalingJson.Default.CallEndedData)
                    : "{}";
                await context.Response.WriteAsync($"event: call_ended\ndata: {ended}\n\n", context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away.
            }
        }
    }

    private async Task MintTokenAsync(HttpContext context)
    {
        if (!_authorizer.TryAuthorizeApiKey(context.Request.Headers.Authorization, out string? keyId))
        {
            await Problem(context, StatusCodes.Status401Unauthorized, "an API key is required to mint client tokens");
            return;
        }
        TokenRequest request = new();
        if (context.Request.ContentLength is > 0)
        {
            try
            {
                request = await context.Request.ReadFromJsonAsync(SignalingJson.Default.TokenRequest) ?? new();
            }
            catch (System.Text.Json.JsonException ex)
            {
                await Problem(context, StatusCodes.Status400BadRequest, $"token request is not valid JSON: {ex.Message}");
                return;
            }
        }
        if (!_authorizer.TryMint(keyId!, request, DateTimeOffset.UtcNow, out var minted, out string? error))
        {
            await Problem(context, StatusCodes.Status400BadRequest, error);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status201Created;
        await context.Response.WriteAsJsonAsync(minted, SignalingJson.Default.TokenResponse);
    }

    private Task Stats(HttpContext context)
    {
        if (!_authorizer.TryAuthorizeApiKey(context.Request.Headers.Authorization, out _))
            return Problem(context, StatusCodes.Status401Unauthorized, "an API key is required");
        return context.Response.WriteAsJsonAsync(_metrics.Stats(), SignalingJson.Default.RelayStats);
    }

    /// <summary>Prometheus text; with <c>metrics.access: api_key</c> the scraper sends a bearer API key like /v1/stats.</summary>
    private Task Metrics(HttpContext context)
    {
        if (_metricsAccess == MetricsAccess.ApiKey && !_authorizer.TryAuthorizeApiKey(context.Request.Headers.Authorization, out _))
            return Problem(context, StatusCodes.Status401Unauthorized, "an API key is required (or set metrics.access: open for a private listener)");
        context.Response.ContentType = EdgeVoice.Tunnel.Metrics.PrometheusText.ContentType;
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(_metrics.Exposition());
    }

    private static async Task<string?> ReadBodyAsync(HttpRequest request, int limit)
    {
        if (request.ContentLength > limit)
            return null;
        using var buffer = new MemoryStream();
        var bytes = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(bytes)) > 0)
        {
            if (buffer.Length + read > limit)
                return null;
            buffer.Write(bytes, 0, read);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Errors are one plain-text line: easy to read in a browser console or curl.</summary>
    private static Task Problem(HttpContext context, int status, string? reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync((reason ?? "error") + "\n");
    }
}

public sealed class TokenRequest
{
    [JsonPropertyName("expires_in")]
    public int? ExpiresInSeconds { get; set; }

    [JsonPropertyName("max_call_seconds")]
    public int? MaxCallSeconds { get; set; }

    [JsonPropertyName("origin")]
    public string? Origin { get; set; }
}

public sealed record TokenResponse(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);

public sealed record RelayStats(
    [property: JsonPropertyName("calls_connected")] long CallsConnected,
    [property: JsonPropertyName("datagrams_received")] long DatagramsReceived,
    [property: JsonPropertyName("rtp_received")] long RtpReceived,
    [property: JsonPropertyName("rtp_sent")] long RtpSent,
    [property: JsonPropertyName("rtcp_received")] long RtcpReceived,
    [property: JsonPropertyName("stun_forged")] long StunForged,
    [property: JsonPropertyName("stun_rejected")] long StunRejected,
    [property: JsonPropertyName("stun_unknown_session")] long StunUnknownSession,
    [property: JsonPropertyName("stun_malformed")] long StunMalformed,
    [property: JsonPropertyName("srtp_rejected")] long SrtpRejected,
    [property: JsonPropertyName("unrouted_datagrams")] long UnroutedDatagrams,
    [property: JsonPropertyName("dtls_failed")] long DtlsFailed,
    [property: JsonPropertyName("transceivers")] IReadOnlyList<TransceiverStats>? Transceivers = null,
    [property: JsonPropertyName("failover")] FailoverStats? Failover = null);

/// <summary>Calls moved between transceivers and the gaps they had with none (absent from stats when the relay echoes).</summary>
public sealed record FailoverStats(
    [property: JsonPropertyName("moved_on_failover")] long MovedOnFailover,
    [property: JsonPropertyName("moved_on_drain")] long MovedOnDrain,
    [property: JsonPropertyName("moved_on_refusal")] long MovedOnRefusal,
    [property: JsonPropertyName("ended_no_transceiver")] long EndedNoTransceiver,
    [property: JsonPropertyName("gap_ms_total")] long GapMillisecondsTotal,
    [property: JsonPropertyName("gap_ms_max")] long GapMillisecondsMax,
    [property: JsonPropertyName("gap_ms_last")] long GapMillisecondsLast);

/// <summary>One transceiver of the pool as the relay sees it (absent from stats when the relay echoes).</summary>
public sealed record TransceiverStats(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("connected")] bool Connected,
    [property: JsonPropertyName("capacity")] uint Capacity,
    [property: JsonPropertyName("sessions")] uint Sessions,
    [property: JsonPropertyName("queue_depth")] uint QueueDepth,
    [property: JsonPropertyName("dial_attempts")] int DialAttempts);

/// <summary>The data line of one server-sent call event.</summary>
public sealed record CallEventData(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("at_ms")] long AtMilliseconds);

/// <summary>The data line of the call_ended event: why the call ended.</summary>
public sealed record CallEndedData(
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("detail"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail);

[JsonSerializable(typeof(CallEventData))]
[JsonSerializable(typeof(CallEndedData))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(RelayStats))]
internal sealed partial class SignalingJson : JsonSerializerContext;
