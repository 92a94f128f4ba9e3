using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using EdgeVoice.WebRtc.Sdp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Relay.Configuration;

/// <summary>
/// Reads each relay setting by its key, checks it, and records every problem with where it came from
/// (file:line, environment variable, or command-line argument); remembers the keys it read to find unknown ones.
/// </summary>
internal sealed class RelaySettings(IConfigurationRoot root, string path)
{
    private const int MinSecretBytes = 32;

    private readonly List<string> _errors = [];
    private readonly HashSet<string> _known = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _badShape = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _failed = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";

    public IReadOnlyList<string> Errors => _errors;

    public RelayOptions Read() => new(
        path,
        ReadHttp(),
        ReadMedia(),
        ReadAuth(),
        ReadIce(),
        new CorsOptions(ReadOrigins("cors:allowed_origins")),
        new LimitsOptions(
            Int("limits:max_sessions", 1000, 1, 1_000_000),
            Int("limits:max_handshakes_in_flight", 64, 1, 100_000),
            Int("limits:max_offer_bytes", 16 * 1024, 1024, SdpSessionDescription.MaxBytes)),
        ReadDtls(),
        new LoggingOptions(ReadLogLevel("logging:level")),
        new DemoOptions(ExistingFile("demo:page")),
        ReadTransceivers(),
        ReadMetrics(),
        ReadNotices());

    private MetricsOptions ReadMetrics()
    {
        string? text = Scalar("metrics:access");
        MetricsAccess? access = text?.ToLowerInvariant() switch
        {
            null or "api_key" => MetricsAccess.ApiKey,
            "open" => MetricsAccess.Open,
            "off" => MetricsAccess.Off,
            _ => null,
        };
        if (access is null)
            Error("metrics:access", $"{Show(text!)} is not a metrics access (api_key: scrapers send a bearer API key; open: no credential, for a private listener; off: no /metrics)");
        return new MetricsOptions(access ?? MetricsAccess.ApiKey);
    }

    private NoticesOptions ReadNotices()
    {
        string? path = ExistingFile("notices:no_transceiver");
        if (path is null)
            return new NoticesOptions(null, null);
        if (!EdgeVoice.Relay.Notices.NoticeAudio.TryLoad(path, out var notice, out string? problem))
        {
            Error("notices:no_transceiver", problem + "; make one with relay-aot/EdgeVoice.Relay/Notices/make-no-transceiver.sh, or remove the key to use the built-in notice");
            return new NoticesOptions(path, null);
        }
        return new NoticesOptions(path, notice);
    }

    private TransceiverPoolOptions? ReadTransceivers()
    {
        bool present = root.GetSection("transceivers").GetChildren().Any();
        string? name = Scalar("transceivers:name");
        string? certificate = ExistingFile("transceivers:certificate");
        string? key = ExistingFile("transceivers:key");
        string? ca = ExistingFile("transceivers:ca");
        var items = ListItems("transceivers:pool");
        var pingInterval = Duration("transceivers:ping_interval", TransceiverPoolOptions.DefaultPingInterval, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(10));
        var deadAfter = Duration("transceivers:dead_after", TransceiverPoolOptions.DefaultDeadAfter, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60));
        if (!present)
            return null;
        if (deadAfter < pingInterval * 2 && !HasError("transceivers:ping_interval", "transceivers:dead_after"))
            Error("transceivers:dead_after", $"{Format(deadAfter)} is less than twice transceivers.ping_interval ({Format(pingInterval)}): one late Pong would declare a live transceiver dead; raise dead_after or lower ping_interval");
        if (name is null && !HasError("transceivers:name"))
            Error("transceivers:name", "missing: this relay's node name, as in its tunnel certificate (edgevoice cert-issue --role relay --name <name>)");
        else if (name is not null && !EdgeVoice.Tunnel.Pki.NodeIdentity.IsValidName(name))
            Error("transceivers:name", $"{Show(name)} is not a node name (1-63 of a-z, 0-9, '.', '-')");
        foreach (var (field, value) in new[] { ("transceivers:certificate", certificate), ("transceivers:key", key), ("transceivers:ca", ca) })
            if (value is null && !HasError(field))
                Error(field, "missing: the tunnel needs this relay's certificate, its key and the cluster CA certificate (PEM files from edgevoice ca-create / cert-issue)");
        var pool = new List<TransceiverAddress>();
        foreach (string item in items ?? [])
        {
            if (!string.IsNullOrEmpty(root.GetSection(item).Value))
            {
                Error(item, "each transceiver is a mapping with name: and address: lines");
                _badShape.Add(item);
                continue;
            }
            string? peer = Scalar(item + ":name");
            string? address = Scalar(item + ":address");
            if (peer is null)
                Error(item + ":name", "missing: the transceiver's node name, as in its tunnel certificate");
            else if (!EdgeVoice.Tunnel.Pki.NodeIdentity.IsValidName(peer))
                Error(item + ":name", $"{Show(peer)} is not a node name (1-63 of a-z, 0-9, '.', '-')");
            else if (pool.Any(p => p.Name == peer))
                Error(item + ":name", $"transceiver {Show(peer)} is listed twice");
            IPEndPoint? endPoint = null;
            if (address is null)
                Error(item + ":address", "missing: the transceiver's tunnel address, IP:port (e.g. 10.0.1.11:4433)");
            else if (!IPEndPoint.TryParse(address, out endPoint) || endPoint.Port == 0 || !(address.Contains("]:") || address.Count(c => c == ':') == 1))
                Error(item + ":address", $"{Show(address)} is not IP:port (e.g. 10.0.1.11:4433 or [fd00::5]:4433)");
            if (peer is not null && endPoint is not null && !HasError(item + ":name", item + ":address"))
                pool.Add(new TransceiverAddress(peer, endPoint));
        }
        if (items is null or { Count: 0 } && !HasError("transceivers:pool"))
            Error("transceivers:pool", "missing: list the transceivers to place calls on (- name: gpu-1, address: 10.0.1.11:4433), or remove the transceivers section to echo calls");
        return new TransceiverPoolOptions(name ?? "", certificate ?? "", key ?? "", ca ?? "", pool) { PingInterval = pingInterval, DeadAfter = deadAfter };
    }

    private HttpOptions ReadHttp()
    {
        var urls = new List<string>();
        var items = ListItems("http:listen_urls");
        foreach (string item in items ?? [])
        {
            string? url = Scalar(item);
            if (url is null)
                continue;
            if (IsListenUrl(url))
                urls.Add(url);
            else
                Error(item, $"{Show(url)} is not a listen URL; write http://<address>:<port> or https://<address>:<port> (e.g. http://127.0.0.1:8080)");
        }
        if (items is null && !HasError("http:listen_urls"))
            urls.Add("http://127.0.0.1:8080");
        else if (items is { Count: 0 })
            Error("http:listen_urls", "the list is empty; give at least one URL such as http://127.0.0.1:8080");
        string? certificate = ExistingFile("http:certificate_path");
        string? key = ExistingFile("http:key_path");
        bool https = urls.Any(u => u.StartsWith("https:", StringComparison.OrdinalIgnoreCase));
        if (https && (certificate is null || key is null))
        {
            if (!HasError("http:certificate_path", "http:key_path"))
                Error(certificate is null ? "http:certificate_path" : "http:key_path",
                    "missing: an https listen URL needs both http.certificate_path and http.key_path (PEM files)");
        }
        else if (!https && (certificate is not null || key is not null))
        {
            Error(certificate is not null ? "http:certificate_path" : "http:key_path",
                "a certificate is set but no listen URL is https; add an https:// URL or remove the certificate");
        }
        return new HttpOptions(urls, certificate, key);
    }

    private MediaOptions ReadMedia()
    {
        var listen = Address("media:listen_address") ?? IPAddress.Any;
        int port = Port("media:udp_port", 3478);
        var publicIp = Address("media:public_ip");
        if (publicIp is null && !HasError("media:public_ip"))
        {
            if (listen.Equals(IPAddress.Any) || listen.Equals(IPAddress.IPv6Any))
                Error("media:public_ip", $"missing: with media.listen_address {listen} the relay cannot tell which address clients reach; set the address to advertise in ICE candidates");
            else
                publicIp = listen;
        }
        else if (publicIp is not null && (publicIp.Equals(IPAddress.Any) || publicIp.Equals(IPAddress.IPv6Any) || IsMulticast(publicIp)))
        {
            Error("media:public_ip", $"{publicIp} cannot be advertised to clients; give the relay's reachable unicast address");
        }
        int publicPort = Port("media:public_port", port);
        var batchWindow = Duration("media:batch_window", TimeSpan.FromMilliseconds(20), TimeSpan.Zero, TimeSpan.FromMilliseconds(20));
        return new MediaOptions(listen, port, publicIp ?? IPAddress.Loopback, publicPort, batchWindow);
    }

    private AuthOptions ReadAuth()
    {
        var keys = new List<ApiKey>();
        var items = ListItems("auth:api_keys");
        foreach (string item in items ?? [])
        {
            if (!string.IsNullOrEmpty(root.GetSection(item).Value))
            {
                Error(item, "each API key is a mapping with id: and key: lines");
                _badShape.Add(item);
                continue;
            }
            string? id = Scalar(item + ":id");
            string? key = Scalar(item + ":key");
            if (id is null)
                Error(item + ":id", "missing: name the key (letters, digits, . _ -); the id appears in logs and client tokens");
            else if (id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                Error(item + ":id", $"{Show(id)} is not 1-64 letters, digits, '.', '_' or '-'");
            if (key is null)
                Error(item + ":key", "missing: set the API key clients send as 'Authorization: Bearer <key>'");
            else if (key.Length is < 16 or > 256 || !key.All(c => c is > ' ' and <= '~'))
                Error(item + ":key", "must be 16-256 visible ASCII characters without spaces (the value is not shown)");
            if (id is null || key is null)
                continue;
            if (keys.Any(k => string.Equals(k.Id, id, StringComparison.Ordinal)))
                Error(item + ":id", $"id {Show(id)} is used by two API keys");
            else if (keys.Any(k => string.Equals(k.Key, key, StringComparison.Ordinal)))
                Error(item + ":key", "the same key is listed twice");
            else
                keys.Add(new ApiKey(id, key));
        }
        if (items is not null && items.Count == 0 || items is null && !HasError("auth:api_keys"))
            Error("auth:api_keys", "missing: list at least one API key (- id: <name>, key: <secret>); signaling refuses every request without one");
        var secret = Secret("auth:token_secret", "auth:token_secret_file", required: true);
        var maxLifetime = Duration("auth:max_token_lifetime", TimeSpan.FromHours(1), TimeSpan.FromSeconds(10), TimeSpan.FromDays(1));
        var lifetime = Duration("auth:token_lifetime", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(10), TimeSpan.FromDays(1));
        if (lifetime > maxLifetime)
            Error("auth:token_lifetime", $"{Format(lifetime)} is longer than auth.max_token_lifetime ({Format(maxLifetime)}); shorten it or raise the maximum");
        return new AuthOptions(keys, secret ?? [], lifetime, maxLifetime);
    }

    private IceOptions ReadIce()
    {
        var secret = Secret("ice:ufrag_secret", "ice:ufrag_secret_file", required: false);
        bool generated = secret is null;
        // Without a configured secret, ufrags are signed with a per-process key: sessions simply do not outlive a restart.
        secret ??= RandomNumberGenerator.GetBytes(MinSecretBytes);
        return new IceOptions(secret, generated,
            Duration("ice:consent_timeout", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5)),
            Duration("ice:connect_timeout", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2)));
    }

    private DtlsOptions ReadDtls()
    {
        string? certificate = ExistingFile("dtls:certificate_path");
        string? key = ExistingFile("dtls:key_path");
        if ((certificate is null) != (key is null) && !HasError("dtls:certificate_path", "dtls:key_path"))
            Error(certificate is null ? "dtls:certificate_path" : "dtls:key_path",
                "set both dtls.certificate_path and dtls.key_path, or neither to generate a certificate at start");
        return new DtlsOptions(certificate, key);
    }

    private List<string> ReadOrigins(string key)
    {
        var origins = new List<string>();
        foreach (string item in ListItems(key) ?? [])
        {
            string? origin = Scalar(item);
            if (origin is null)
                continue;
            if (origin == "*")
            {
                origins.Add(origin);
                continue;
            }
            string trimmed = origin.TrimEnd('/');
            if (Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.UserInfo.Length == 0
                && string.Equals(uri.GetLeftPart(UriPartial.Authority), trimmed, StringComparison.OrdinalIgnoreCase))
                origins.Add(trimmed.ToLowerInvariant());
            else
                Error(item, $"{Show(origin)} is not an origin; write scheme://host[:port] without a path (e.g. https://app.example.com) or *");
        }
        return origins;
    }

    private LogLevel ReadLogLevel(string key)
    {
        string? text = Scalar(key);
        if (text is null)
            return LogLevel.Information;
        LogLevel? level = text.ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "information" or "info" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            "none" => LogLevel.None,
            _ => null,
        };
        if (level is null)
            Error(key, $"{Show(text)} is not a log level (trace, debug, information, warning, error, critical, none)");
        return level ?? LogLevel.Information;
    }

    // ---- typed values ----

    private int Int(string key, int fallback, int min, int max)
    {
        string? text = Scalar(key);
        if (text is null)
            return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max)
            return value;
        Error(key, $"{Show(text)} is not a whole number in {min}-{max}");
        return fallback;
    }

    private int Port(string key, int fallback)
    {
        string? text = Scalar(key);
        if (text is null)
            return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535)
            return port;
        Error(key, $"{Show(text)} is not a port (1-65535)");
        return fallback;
    }

    private IPAddress? Address(string key)
    {
        string? text = Scalar(key);
        if (text is null)
            return null;
        // IPAddress.TryParse also takes forms such as "1" or "127.1"; only dotted quads and IPv6 literals are meant here.
        bool parsed = IPAddress.TryParse(text, out var address);
        if (parsed && address!.AddressFamily == AddressFamily.InterNetwork && address.ToString() != text)
            parsed = false;
        if (parsed && address!.AddressFamily == AddressFamily.InterNetworkV6 && (address.ScopeId != 0 || text.Contains('%')))
            parsed = false;
        if (parsed)
            return address;
        Error(key, $"{Show(text)} is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
        return null;
    }

    private TimeSpan Duration(string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        string? text = Scalar(key);
        if (text is null)
            return fallback;
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
            digits++;
        string unit = text[digits..].Trim();
        TimeSpan? value = null;
        if (digits is > 0 and <= 9 && long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out long number))
        {
            value = unit switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                _ => null,
            };
        }
        if (value is null)
        {
            Error(key, $"{Show(text)} is not a duration; write a number and a unit: 500ms, 30s, 5m, 1h");
            return fallback;
        }
        if (value < min || value > max)
        {
            Error(key, $"{Show(text)} is outside {Format(min)}-{Format(max)}");
            return fallback;
        }
        return value.Value;
    }

    /// <summary>A base64 secret given inline or in a file (exactly one of the two); its value never appears in errors.</summary>
    private byte[]? Secret(string valueKey, string fileKey, bool required)
    {
        string? inline = Scalar(valueKey);
        string? file = Scalar(fileKey);
        if (inline is not null && file is not null)
        {
            Error(valueKey, $"set either {Field(valueKey)} or {Field(fileKey)}, not both");
            return null;
        }
        if (inline is null && file is null)
        {
            if (required)
                Error(valueKey, $"missing: set a base64 secret of at least {MinSecretBytes} bytes (make one with: openssl rand -base64 32), or {Field(fileKey)} to a file holding one");
            return null;
        }
        string key = inline is not null ? valueKey : fileKey;
        string text;
        if (inline is not null)
        {
            text = inline;
        }
        else
        {
            string full = Resolve(file!);
            try
            {
                text = File.ReadAllText(full).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Error(fileKey, $"cannot read '{full}': {RelayConfigurationException.Describe(e)}");
                return null;
            }
        }
        var buffer = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, buffer, out int length))
        {
            Error(key, "is not valid base64 (the value is not shown); make one with: openssl rand -base64 32");
            return null;
        }
        if (length < MinSecretBytes)
        {
            Error(key, $"decodes to {length} bytes; at least {MinSecretBytes} are needed (make one with: openssl rand -base64 32)");
            return null;
        }
        return buffer[..length];
    }

    private string? ExistingFile(string key)
    {
        string? text = Scalar(key);
        if (text is null)
            return null;
        string full = Resolve(text);
        if (File.Exists(full))
            return full;
        Error(key, $"file '{full}' not found (relative paths are taken from the configuration file's folder)");
        return null;
    }

    private string Resolve(string file) => Path.GetFullPath(Path.Combine(_directory, file));

    private static bool IsListenUrl(string url)
    {
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0 || !(url[..scheme].Equals("http", StringComparison.OrdinalIgnoreCase) || url[..scheme].Equals("https", StringComparison.OrdinalIgnoreCase)))
            return false;
        string rest = url[(scheme + 3)..];
        // Kestrel's wildcard hosts are not URI hosts; check the rest with a stand-in.
        if (rest.StartsWith('*') || rest.StartsWith('+'))
            rest = "localhost" + rest[1..];
        return Uri.TryCreate("http://" + rest, UriKind.Absolute, out var uri) && uri.AbsolutePath == "/" && uri.Query.Length == 0
            && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0 && uri.Host.Length > 0;
    }

    private static bool IsMulticast(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? address.IsIPv6Multicast
        : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private static string Format(TimeSpan value) =>
        value.TotalHours >= 1 && value.TotalHours == Math.Floor(value.TotalHours) ? $"{value.TotalHours}h"
        : value.TotalMinutes >= 1 && value.TotalMinutes == Math.Floor(value.TotalMinutes) ? $"{value.TotalMinutes}m"
        : $"{value.TotalSeconds}s";

    // ---- raw access ----

    /// <summary>A single value; null when absent or empty. A list or mapping in its place is an error.</summary>
    private string? Scalar(string key)
    {
        _known.Add(key);
        var section = root.GetSection(key);
        if (section.GetChildren().Any())
        {
            Error(key, $"expected a single value, found {DescribeShape(key)}");
            _badShape.Add(key);
            return null;
        }
        return string.IsNullOrWhiteSpace(section.Value) ? null : section.Value.Trim();
    }

    /// <summary>The keys of a list's items in order; null when the list is absent (or wrong), empty when given empty.</summary>
    private List<string>? ListItems(string key)
    {
        _known.Add(key);
        var section = root.GetSection(key);
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            if (!string.IsNullOrWhiteSpace(section.Value))
            {
                Error(key, "expected a list (lines starting with '- '), found a single value");
                _badShape.Add(key);
                return null;
            }
            return section.Value is null ? null : [];
        }
        if (!children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            Error(key, "expected a list (lines starting with '- '), found a mapping");
            _badShape.Add(key);
            return null;
        }
        return children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)).Select(c => c.Path).ToList();
    }

    private string DescribeShape(string key)
    {
        foreach (var provider in root.Providers.Reverse())
        {
            if (provider is YamlConfigurationProvider yaml && yaml.TryGetShape(key, out var shape))
                return shape == YamlNodeShape.Sequence ? "a list" : "a mapping";
        }
        return root.GetSection(key).GetChildren().All(c => int.TryParse(c.Key, out _)) ? "a list" : "a mapping";
    }

    /// <summary>Keys given in any source that no setting reads: most likely typos.</summary>
    public void ReportUnknownKeys()
    {
        foreach (var (key, value) in root.AsEnumerable().OrderBy(pair => LineOf(pair.Key)).ThenBy(pair => pair.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (_known.Contains(key) || key.Equals("config", StringComparison.OrdinalIgnoreCase))
                continue;
            if (root.GetSection(key).GetChildren().Any())
                continue;
            if (_badShape.Any(bad => key.StartsWith(bad + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase)))
                continue;
            // An empty section ("cors:" with nothing under it) is fine when it is a known section.
            if (string.IsNullOrEmpty(value) && _known.Any(k => k.StartsWith(key + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase)))
                continue;
            Error(key, "unknown setting" + Suggest(key));
        }
    }

    private int LineOf(string key)
    {
        foreach (var provider in root.Providers)
        {
            if (provider is YamlConfigurationProvider yaml && yaml.TryGetLine(key, out int line))
                return line;
        }
        return int.MaxValue;
    }

    private string Suggest(string key)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string known in _known)
        {
            int distance = EditDistance(key.ToLowerInvariant(), known.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = known;
                bestDistance = distance;
            }
        }
        if (best is not null && bestDistance <= 3)
            return $"; did you mean {Field(best)}?";
        string section = key.Split(ConfigurationPath.KeyDelimiter)[0];
        var siblings = _known.Where(k => k.StartsWith(section + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase)
                && !k.Any(char.IsAsciiDigit)).Select(Field).Order().ToList();
        return siblings.Count > 0 ? $"; known settings: {string.Join(", ", siblings)}"
            : "; known sections: http, media, auth, ice, cors, limits, dtls, logging, demo, transceivers, metrics";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    // ---- error text ----

    private void Error(string key, string problem)
    {
        _errors.Add($"{Where(key)}: {Field(key)}: {problem}");
        _failed.Add(key);
    }

    private bool HasError(params string[] keys) => keys.Any(_failed.Contains);

    /// <summary>The source of a key's effective value: the last provider that has it (or a descendant of it).</summary>
    private string Where(string key)
    {
        foreach (var provider in root.Providers.Reverse())
        {
            switch (provider)
            {
                case CommandLineConfigurationProvider commandLine when commandLine.TryGet(key, out _)
                        || commandLine.GetChildKeys([], key).Any():
                    return $"command line --{key}";
                case EnvironmentOverrideProvider environment when environment.TryGetVariableName(key, out string name):
                    return $"environment variable {name}";
                case YamlConfigurationProvider yaml when yaml.TryGetLine(key, out int line):
                    return $"{path}:{line}";
            }
        }
        return path;
    }

    /// <summary><c>auth:api_keys:0:id</c> as the YAML reader sees it: <c>auth.api_keys[0].id</c>.</summary>
    private static string Field(string key)
    {
        var text = new System.Text.StringBuilder(key.Length + 4);
        foreach (string part in key.Split(ConfigurationPath.KeyDelimiter))
        {
            if (part.Length > 0 && part.All(char.IsAsciiDigit))
                text.Append('[').Append(part).Append(']');
            else
                text.Append(text.Length > 0 ? "." : "").Append(part);
        }
        return text.ToString().ToLowerInvariant();
    }

    /// <summary>A value quoted for an error message: printable ASCII, at most 60 characters.</summary>
    private static string Show(string value)
    {
        var shown = value.Length > 60 ? value[..60] + "..." : value;
        return "'" + string.Concat(shown.Select(c => c is >= ' ' and <= '~' ? c : '?')) + "'";
    }
}
