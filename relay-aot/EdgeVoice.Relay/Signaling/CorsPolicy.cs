using EdgeVoice.Relay.Configuration;
using Microsoft.Extensions.Primitives;

namespace EdgeVoice.Relay.Signaling;

/// <summary>
/// CORS for browser pages on the configured origins: preflights answered (the API's methods, Authorization and
/// Content-Type, cached 10 minutes), the origin allowed and Location exposed on the answer. A request from any other
/// origin is served without CORS headers, so the browser keeps its answer from the page. A plain delegate: ASP.NET's
/// CORS middleware is bound by reflection under Native AOT, on every request.
/// </summary>
internal sealed class CorsPolicy(CorsOptions options)
{
    private const string AllowedMethods = "GET, POST, DELETE";
    private const string AllowedHeaders = "Authorization, Content-Type";
    private static readonly string[] AllowedMethodList = ["GET", "POST", "DELETE", "HEAD"];
    private static readonly string[] AllowedHeaderList = ["authorization", "content-type"];
    private const string MaxAgeSeconds = "600";

    private readonly HashSet<string> _origins = new(options.AllowedOrigins, StringComparer.OrdinalIgnoreCase);
    private readonly bool _anyOrigin = options.AllowsAnyOrigin;

    public void Use(IApplicationBuilder app) => app.Use(InvokeAsync);

    private Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!request.Headers.TryGetValue("Origin", out var originValues) || originValues.Count != 1)
            return next(context);
        string origin = originValues[0]!;
        bool preflight = HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("Access-Control-Request-Method");
        var headers = context.Response.Headers;
        headers.Append("Vary", "Origin");
        bool allowed = _anyOrigin || _origins.Contains(origin);
        if (preflight)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            if (allowed && IsAllowedPreflight(request.Headers))
            {
                headers["Access-Control-Allow-Origin"] = _anyOrigin ? "*" : origin;
                headers["Access-Control-Allow-Methods"] = AllowedMethods;
                headers["Access-Control-Allow-Headers"] = AllowedHeaders;
                headers["Access-Control-Max-Age"] = MaxAgeSeconds;
            }
            return Task.CompletedTask;
        }
        if (allowed)
        {
            headers["Access-Control-Allow-Origin"] = _anyOrigin ? "*" : origin;
            headers["Access-Control-Expose-Headers"] = "Location";
        }
        return next(context);
    }

    private static bool IsAllowedPreflight(IHeaderDictionary headers)
    {
        string method = headers["Access-Control-Request-Method"].ToString();
        if (Array.IndexOf(AllowedMethodList, method) < 0)
            return false;
        foreach (string? list in headers["Access-Control-Request-Headers"])
        {
            foreach (var name in new StringTokenizer(list ?? "", [',']))
            {
                var trimmed = name.Trim();
                if (trimmed.Length > 0 && !AllowedHeaderList.Any(h => trimmed.Equals(h, StringComparison.OrdinalIgnoreCase)))
                    return false;
            }
        }
        return true;
    }
}
