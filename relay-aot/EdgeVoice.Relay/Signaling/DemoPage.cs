namespace EdgeVoice.Relay.Signaling;

/// <summary>
/// The local demo: serves one web page at / and hands it short-lived client tokens, as a real app's backend would
/// after its own login. Only mapped when demo.page is configured; never expose it on a public relay.
/// </summary>
internal static class DemoPage
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(2);
    private const int MaxCallSeconds = 600;

    public static void Map(IEndpointRouteBuilder routes, string pagePath, CallerAuthorizer authorizer, string keyId)
    {
        routes.MapGet("/", async context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.SendFileAsync(pagePath);
        });
        routes.MapPost("/demo/token", async context =>
        {
            var request = new TokenRequest { ExpiresInSeconds = (int)TokenLifetime.TotalSeconds, MaxCallSeconds = MaxCallSeconds };
            if (!authorizer.TryMint(keyId, request, DateTimeOffset.UtcNow, out var minted, out string? error))
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsync(error + "\n");
                return;
            }
            context.Response.StatusCode = StatusCodes.Status201Created;
            await context.Response.WriteAsJsonAsync(minted!, SignalingJson.Default.TokenResponse);
        });
    }
}
