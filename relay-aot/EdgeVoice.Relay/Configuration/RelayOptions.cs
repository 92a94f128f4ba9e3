using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Relay.Configuration;

/// <summary>The relay's validated settings (configs/relay.yaml, then EDGEVOICE_* variables, then --section:key arguments).</summary>
public sealed record RelayOptions(
    string ConfigPath,
    HttpOptions Http,
    MediaOptions Media,
    AuthOptions Auth,
    IceOptions Ice,
    CorsOptions Cors,
    LimitsOptions Limits,
    DtlsOptions Dtls,
    LoggingOptions Logging,
    DemoOptions Demo,
    TransceiverPoolOptions? Transceivers = null,
    MetricsOptions? Metrics = null,
    NoticesOptions? Notices = null);

/// <param name="ListenUrls">Kestrel URLs for signaling, e.g. http://127.0.0.1:8080.</param>
/// <param name="CertificatePath">PEM certificate for https URLs (absolute path).</param>
/// <param name="KeyPath">PEM private key for https URLs (absolute path).</param>
public sealed record HttpOptions(IReadOnlyList<string> ListenUrls, string? CertificatePath, string? KeyPath);

/// <param name="ListenAddress">Address the one UDP media socket binds to.</param>
/// <param name="PublicIp">Address clients reach the socket at: the host candidate in every answer.</param>
/// <param name="BatchWindow">The media loop's tick: between busy turns it sleeps to the next multiple, so one wake-up serves many packets.</param>
public sealed record MediaOptions(IPAddress ListenAddress, int UdpPort, IPAddress PublicIp, int PublicPort, TimeSpan BatchWindow)
{
    public IPEndPoint ListenEndPoint => new(ListenAddress, UdpPort);
}

/// <summary>An API key and the id that names it in logs and client tokens.</summary>
public sealed record ApiKey(string Id, string Key)
{
    // Keep the secret out of logs that print the record.
    public override string ToString() => $"ApiKey {{ Id = {Id} }}";
}

public sealed record AuthOptions(IReadOnlyList<ApiKey> ApiKeys, byte[] TokenSecret, TimeSpan TokenLifetime, TimeSpan MaxTokenLifetime)
{
    /// <summary>Finds the API key a request presented, comparing against every key in constant time.</summary>
    public ApiKey? Match(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
            return null;
        Span<byte> presentedHash = stackalloc byte[32];
        Span<byte> keyHash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), presentedHash);
        ApiKey? found = null;
        foreach (var key in ApiKeys)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(key.Key), keyHash);
            if (CryptographicOperations.FixedTimeEquals(presentedHash, keyHash))
                found = key;
        }
        return found;
    }

    public override string ToString() => $"AuthOptions {{ ApiKeys = {ApiKeys.Count}, TokenLifetime = {TokenLifetime}, MaxTokenLifetime = {MaxTokenLifetime} }}";
}

/// <param name="UfragSecret">Key of the MAC inside the relay's ICE ufrag (the steering token).</param>
/// <param name="UfragSecretGenerated">True when no secret was configured and a random one was made at start.</param>
public sealed record IceOptions(byte[] UfragSecret, bool UfragSecretGenerated, TimeSpan ConsentTimeout, TimeSpan ConnectTimeout)
{
    public override string ToString() => $"IceOptions {{ UfragSecretGenerated = {UfragSecretGenerated}, ConsentTimeout = {ConsentTimeout}, ConnectTimeout = {ConnectTimeout} }}";
}

/// <param name="AllowedOrigins">Origins (scheme://host[:port]) browsers may call signaling from; "*" allows any.</param>
public sealed record CorsOptions(IReadOnlyList<string> AllowedOrigins)
{
    public bool AllowsAnyOrigin => AllowedOrigins.Contains("*");
}

public sealed record LimitsOptions(int MaxSessions, int MaxHandshakesInFlight, int MaxOfferBytes);

/// <summary>The DTLS certificate and key (PEM, absolute paths); both null means one is generated at start.</summary>
public sealed record DtlsOptions(string? CertificatePath, string? KeyPath);

public sealed record LoggingOptions(LogLevel Level);

/// <param name="PagePath">The demo web page the relay serves at / (and a client-token endpoint for it); null in production.</param>
public sealed record DemoOptions(string? PagePath);

/// <summary>Who may scrape <c>GET /metrics</c> on the signaling listener.</summary>
public enum MetricsAccess
{
    /// <summary>A bearer API key, as for /v1/stats (Prometheus: <c>authorization: { credentials_file: ... }</c>).</summary>
    ApiKey,
    /// <summary>Anyone who reaches the listener: only where the listener is private (loopback, a scrape network).</summary>
    Open,
    Off,
}

/// <param name="Access">The <c>metrics.access</c> setting; api_key when absent.</param>
public sealed record MetricsOptions(MetricsAccess Access);

/// <summary>A transceiver the relay dials: its node name (as in its tunnel certificate) and tunnel address.</summary>
public sealed record TransceiverAddress(string Name, IPEndPoint Address);

/// <summary>
/// The <c>transceivers:</c> section: this relay's tunnel identity (node name, certificate, key, cluster CA; absolute paths)
/// and the pool it places calls on. Absent, calls go to the echo handler.
/// </summary>
public sealed record TransceiverPoolOptions(string NodeName, string CertificatePath, string KeyPath, string CaPath, IReadOnlyList<TransceiverAddress> Pool)
{
    public static readonly TimeSpan DefaultPingInterval = TimeSpan.FromMilliseconds(250);
    /// <summary>With 250 ms pings, a killed transceiver is noticed 0.75-0.9 s after its last Pong: within a second.</summary>
    public static readonly TimeSpan DefaultDeadAfter = TimeSpan.FromMilliseconds(900);

    /// <summary>How often the relay pings each transceiver on the tunnel's control stream.</summary>
    public TimeSpan PingInterval { get; init; } = DefaultPingInterval;
    /// <summary>Nothing heard from a transceiver for this long: its tunnel is dropped and its calls move.</summary>
    public TimeSpan DeadAfter { get; init; } = DefaultDeadAfter;
}

/// <summary>The <c>notices:</c> section: Ogg Opus files the relay plays itself, read and checked at start (null: the built-in one).</summary>
/// <param name="NoTransceiverPath">notices.no_transceiver: played when a call's transceiver is lost and none can take the call over.</param>
public sealed record NoticesOptions(string? NoTransceiverPath, EdgeVoice.Relay.Notices.NoticeAudio? NoTransceiver);
