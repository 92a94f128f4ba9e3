using EdgeVoice.Relay.Configuration;
using Microsoft.Extensions.Primitives;

namespace EdgeVoice.Relay.Signaling;

/// <summary>Who may do what: API keys for servers, short-lived client tokens (minted with an API key) for browser pages.</summary>
internal sealed class CallerAuthorizer
{
    private const string Scheme = "Bearer ";
    // The token format has no "unlimited" (a zero is refused when read), so the largest value stands for it.
    private const int NoCallLimit = int.MaxValue;
    private readonly AuthOptions _auth;
    private readonly ClientToken _tokens;

    public CallerAuthorizer(AuthOptions auth)
    {
        _auth = auth;
        _tokens = new ClientToken(auth.TokenSecret, auth.MaxTokenLifetime);
    }

    /// <summary>An API key or a valid client token may place and end calls; <paramref name="grant"/> says what limits apply.</summary>
    public bool TryAuthorizeCaller(StringValues authorization, StringValues origin, DateTimeOffset now, out CallGrant grant, out string? denial)
    {
        grant = default;
        string? presented = Bearer(authorization);
        if (presented is null)
        {
            denial = "missing 'Authorization: Bearer <API key or client token>'";
            return false;
        }
        if (_auth.Match(presented) is not null)
        {
            denial = null;
            grant = new CallGrant(MaxCallDuration: null);
            return true;
        }
        if (!_tokens.TryVerify(presented, now, out var claims, out var error))
        {
            denial = $"the bearer credential is not a valid API key or client token ({error})";
            return false;
        }
        if (claims.AllowedOrigin is { } allowed && !string.Equals(allowed, origin.ToString(), StringComparison.Ordinal))
        {
            denial = $"this client token is only valid from origin {allowed}";
            return false;
        }
        denial = null;
        grant = new CallGrant(claims.MaxCallSeconds is > 0 and < NoCallLimit ? TimeSpan.FromSeconds(claims.MaxCallSeconds) : null);
        return true;
    }

    public bool TryAuthorizeApiKey(StringValues authorization, out string? keyId)
    {
        keyId = _auth.Match(Bearer(authorization))?.Id;
        return keyId is not null;
    }

    public bool TryMint(string keyId, TokenRequest request, DateTimeOffset now, out TokenResponse? minted, out string? error)
    {
        minted = null;
        TimeSpan lifetime = request.ExpiresInSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : _auth.TokenLifetime;
        if (lifetime <= TimeSpan.Zero || lifetime > _tokens.MaxLifetime)
        {
            error = $"expires_in must be between 1 and {(int)_tokens.MaxLifetime.TotalSeconds} seconds";
            return false;
        }
        int maxCallSeconds = request.MaxCallSeconds ?? 0;
        if (maxCallSeconds < 0)
        {
            error = "max_call_seconds must be 0 (no limit) or positive";
            return false;
        }
        if (maxCallSeconds == 0)
            maxCallSeconds = NoCallLimit;
        string token = _tokens.Mint(keyId, now, lifetime, maxCallSeconds, request.Origin);
        minted = new TokenResponse(token, DateTimeOffset.FromUnixTimeSeconds((now + lifetime).ToUnixTimeSeconds()));
        error = null;
        return true;
    }

    private static string? Bearer(StringValues authorization)
    {
        string? value = authorization.Count == 1 ? authorization[0] : null;
        if (value is null || !value.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            return null;
        string credential = value[Scheme.Length..].Trim();
        return credential.Length == 0 ? null : credential;
    }
}

/// <summary>What an authorized caller may do with a call.</summary>
internal readonly record struct CallGrant(TimeSpan? MaxCallDuration);
