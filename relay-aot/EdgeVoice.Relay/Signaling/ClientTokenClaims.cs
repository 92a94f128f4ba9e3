namespace EdgeVoice.Relay.Signaling;

/// <summary>
/// What a client token grants: one browser app may open calls until <see cref="ExpiresAt"/>, each at most
/// <see cref="MaxCallSeconds"/> long, optionally only from <see cref="AllowedOrigin"/>. Times have whole-second resolution.
/// </summary>
/// <param name="TokenId">16 random bytes as 32 lower-case hex digits, for logs and revocation.</param>
/// <param name="KeyId">Id of the API key that minted the token.</param>
public sealed record ClientTokenClaims(
    string TokenId,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    int MaxCallSeconds,
    string? AllowedOrigin,
    string KeyId);
