using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using EdgeVoice.Tunnel.Quic;
using Microsoft.Extensions.Logging;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EdgeVoice.Tunnel.Config;

/// <summary>One tunnel peer: a transceiver a relay dials (with its address), or a relay a transceiver accepts.</summary>
public sealed record TunnelPeer(string Name, IPEndPoint? Address);

/// <summary>
/// The `tunnel:` section of a node's YAML config (configs/tunnel-*.yaml). Parsed with YamlDotNet's
/// representation model (no reflection, AOT-safe); every error names the file, line and field.
/// </summary>
public sealed class TunnelConfig
{
    public required string File { get; init; }
    public required NodeRole Role { get; init; }
    public required string Name { get; init; }
    public required string CertificatePath { get; init; }
    public required string KeyPath { get; init; }
    public required string CaPath { get; init; }
    /// <summary>Transceiver: where to listen (default 0.0.0.0:4433).</summary>
    public IPEndPoint? Listen { get; init; }
    public uint Capacity { get; init; }
    public required IReadOnlyList<TunnelPeer> Peers { get; init; }
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public ReconnectBackoff Reconnect { get; init; } = ReconnectBackoff.Default;

    public const int DefaultPort = 4433;

    public static TunnelConfig Load(string path)
    {
        string text;
        try
        {
            text = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TunnelConfigException($"{path}: cannot read: {e.Message}", [$"{path}: cannot read: {e.Message}"]);
        }
        if (!TryParse(text, path, out var config, out var errors, checkFiles: true))
            throw new TunnelConfigException(string.Join(Environment.NewLine, errors), errors);
        return config;
    }

    /// <summary>Parses YAML text; relative certificate paths resolve against the file's directory.</summary>
    public static bool TryParse(string yaml, string file, [NotNullWhen(true)] out TunnelConfig? config, out List<string> errors, bool checkFiles = false)
    {
        config = null;
        var r = new Reader(file);
        errors = r.Errors;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            r.Errors.Add($"{file}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.InnerException?.Message ?? e.Message}");
            return false;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            r.Errors.Add($"{file}: not valid YAML: {e.Message}"); // YamlDotNet throws these for some bad tags and anchors
            return false;
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            r.Errors.Add($"{file}: expected one YAML document with a mapping at the top");
            return false;
        }
        if (!r.Mapping(root, "tunnel", "", required: true, out var t))
            return false;
        r.OnlyKeys(t, "tunnel", "role", "name", "certificate", "key", "ca", "listen", "capacity", "peers", "idle_timeout", "keepalive", "handshake_timeout", "reconnect");

        NodeRole role = 0;
        if (r.Scalar(t, "tunnel.role", "role", required: true) is { } roleText && !NodeIdentity.TryParseRole(roleText.Value!, out role))
            r.Error(roleText, "tunnel.role", $"must be 'relay' or 'transceiver', not '{roleText.Value}'");
        string? name = r.Scalar(t, "tunnel.name", "name", required: true) is { } nameNode ? r.NodeName(nameNode, "tunnel.name") : null;
        string dir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        string? cert = r.FilePath(t, "tunnel.certificate", "certificate", dir, checkFiles);
        string? key = r.FilePath(t, "tunnel.key", "key", dir, checkFiles);
        string? ca = r.FilePath(t, "tunnel.ca", "ca", dir, checkFiles);
        var idle = r.Duration(t, "tunnel.idle_timeout", "idle_timeout", TimeSpan.FromSeconds(15));
        var keepalive = r.Duration(t, "tunnel.keepalive", "keepalive", TimeSpan.FromSeconds(5));
        var handshake = r.Duration(t, "tunnel.handshake_timeout", "handshake_timeout", TimeSpan.FromSeconds(10));
        if (keepalive >= idle && r.Scalar(t, "tunnel.keepalive", "keepalive", required: false) is { } kaNode)
            r.Error(kaNode, "tunnel.keepalive", $"must be shorter than idle_timeout ({idle.TotalSeconds} s), or the link idles out between keepalives");

        var backoff = ReconnectBackoff.Default;
        if (t.Children.ContainsKey(new YamlScalarNode("reconnect")) && r.Mapping(t, "reconnect", "tunnel.", required: false, out var rc))
        {
            r.OnlyKeys(rc, "tunnel.reconnect", "initial", "max");
            var initial = r.Duration(rc, "tunnel.reconnect.initial", "initial", backoff.Initial);
            var max = r.Duration(rc, "tunnel.reconnect.max", "max", backoff.Max);
            if (max < initial)
                r.Error(rc, "tunnel.reconnect.max", "must not be shorter than tunnel.reconnect.initial");
            backoff = new ReconnectBackoff(initial, max);
        }

        IPEndPoint? listen = null;
        uint capacity = 0;
        if (role == NodeRole.Transceiver)
        {
            listen = r.Scalar(t, "tunnel.listen", "listen", required: false) is { } ln ? r.EndPoint(ln, "tunnel.listen") : new IPEndPoint(IPAddress.Any, DefaultPort);
            capacity = r.Scalar(t, "tunnel.capacity", "capacity", required: true) is { } cn ? r.UInt(cn, "tunnel.capacity", 1, 100_000) : 0;
        }
        else if (role == NodeRole.Relay)
        {
            foreach (string key2 in new[] { "listen", "capacity" })
                if (r.Scalar(t, $"tunnel.{key2}", key2, required: false) is { } n)
                    r.Error(n, $"tunnel.{key2}", "applies to a transceiver only; a relay dials its peers");
        }

        var peers = new List<TunnelPeer>();
        if (r.Sequence(t, "tunnel.peers", "peers", out var seq))
        {
            for (int i = 0; i < seq.Children.Count; i++)
            {
                string field = $"tunnel.peers[{i}]";
                if (seq.Children[i] is not YamlMappingNode p)
                {
                    r.Error(seq.Children[i], field, "must be a mapping with 'name' (and 'address' for a relay)");
                    continue;
                }
                r.OnlyKeys(p, field, "name", "address");
                string? peerName = r.Scalar(p, $"{field}.name", "name", required: true) is { } pn ? r.NodeName(pn, $"{field}.name") : null;
                IPEndPoint? address = null;
                var addressNode = r.Scalar(p, $"{field}.address", "address", required: role == NodeRole.Relay);
                if (addressNode is not null)
                {
                    if (role == NodeRole.Transceiver)
                        r.Error(addressNode, $"{field}.address", "a transceiver does not dial; list only the relay names it accepts");
                    else
                        address = r.EndPoint(addressNode, $"{field}.address");
                }
                if (peerName is not null)
                {
                    if (peers.Any(x => x.Name == peerName))
                        r.Error(p, $"{field}.name", $"peer '{peerName}' is listed twice");
                    peers.Add(new TunnelPeer(peerName, address));
                }
            }
            if (seq.Children.Count == 0)
                r.Error(seq, "tunnel.peers", "lists no peers; nobody could connect");
        }

        if (r.Errors.Count > 0 || name is null || cert is null || key is null || ca is null)
            return false;
        config = new TunnelConfig
        {
            File = file, Role = role, Name = name, CertificatePath = cert, KeyPath = key, CaPath = ca,
            Listen = listen, Capacity = capacity, Peers = peers,
            IdleTimeout = idle, Keepalive = keepalive, HandshakeTimeout = handshake, Reconnect = backoff,
        };
        return true;
    }

    /// <summary>Loads the certificates and makes this node's tunnel options; certificate problems name the config field.</summary>
    public TunnelOptions CreateOptions(ILogger logger, TimeProvider? wallClock = null)
    {
        var ca = LoadOrThrow(CaPath, "tunnel.ca", PkiFiles.LoadCertificate);
        TunnelCredentials credentials;
        try
        {
            credentials = TunnelCredentials.FromFiles(CertificatePath, KeyPath);
        }
        catch (Exception e) when (e is TunnelException or IOException or UnauthorizedAccessException)
        {
            throw new TunnelConfigException($"{File}: tunnel.certificate/tunnel.key ({CertificatePath}, {KeyPath}): {e.Message}", []);
        }
        using (var own = LoadOrThrow(CertificatePath, "tunnel.certificate", PkiFiles.LoadCertificate))
        {
            var ids = ClusterPki.ReadIdentities(own);
            var expected = new NodeIdentity(Role, Name);
            if (ids.Count != 1 || ids[0] != expected)
                throw new TunnelConfigException($"{File}: tunnel.certificate ({CertificatePath}) is for {(ids.Count == 1 ? ids[0] : "no single identity")}, but tunnel.role/tunnel.name say {expected}; issue one with `edgevoice cert-issue --role {NodeIdentity.RoleText(Role)} --name {Name}`", []);
        }
        return new TunnelOptions
        {
            Credentials = credentials,
            Self = new NodeIdentity(Role, Name),
            PeerCheck = new PeerCheck(ca, Role == NodeRole.Relay ? NodeRole.Transceiver : NodeRole.Relay, Peers.Select(p => p.Name).ToArray()),
            Capacity = Capacity,
            IdleTimeout = IdleTimeout,
            KeepaliveInterval = Keepalive,
            HandshakeTimeout = HandshakeTimeout,
            Logger = logger,
            WallClock = wallClock ?? TimeProvider.System,
        };
    }

    private T LoadOrThrow<T>(string path, string field, Func<string, T> load)
    {
        try
        {
            return load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new TunnelConfigException($"{File}: {field} ({path}): {e.Message}", []);
        }
    }

    /// <summary>Reads typed values out of the YAML tree, collecting every error with its position.</summary>
    private sealed class Reader(string file)
    {
        public List<string> Errors { get; } = [];

        public void Error(YamlNode node, string field, string message) =>
            Errors.Add($"{file}:{node.Start.Line}:{node.Start.Column}: {field}: {message}");

        public bool Mapping(YamlMappingNode parent, string key, string prefix, bool required, [NotNullWhen(true)] out YamlMappingNode? mapping)
        {
            mapping = null;
            if (!parent.Children.TryGetValue(new YamlScalarNode(key), out var node))
            {
                if (required) Errors.Add($"{file}: {prefix}{key}: missing");
                return false;
            }
            if (node is not YamlMappingNode m)
            {
                Error(node, prefix + key, "must be a mapping");
                return false;
            }
            mapping = m;
            return true;
        }

        public bool Sequence(YamlMappingNode parent, string field, string key, [NotNullWhen(true)] out YamlSequenceNode? sequence)
        {
            sequence = null;
            if (!parent.Children.TryGetValue(new YamlScalarNode(key), out var node))
            {
                Errors.Add($"{file}:{parent.Start.Line}:{parent.Start.Column}: {field}: missing");
                return false;
            }
            if (node is not YamlSequenceNode s)
            {
                Error(node, field, "must be a list");
                return false;
            }
            sequence = s;
            return true;
        }

        public YamlScalarNode? Scalar(YamlMappingNode parent, string field, string key, bool required)
        {
            if (!parent.Children.TryGetValue(new YamlScalarNode(key), out var node))
            {
                if (required) Errors.Add($"{file}:{parent.Start.Line}:{parent.Start.Column}: {field}: missing");
                return null;
            }
            if (node is not YamlScalarNode s || string.IsNullOrWhiteSpace(s.Value))
            {
                Error(node, field, "must be a non-empty value");
                return null;
            }
            return s;
        }

        public void OnlyKeys(YamlMappingNode mapping, string field, params string[] allowed)
        {
            foreach (var key in mapping.Children.Keys)
                if (key is not YamlScalarNode { Value: { } k } || !allowed.Contains(k))
                    Error(key, field, $"unknown key '{(key as YamlScalarNode)?.Value ?? key.ToString()}' (known: {string.Join(", ", allowed)})");
        }

        public string? NodeName(YamlScalarNode node, string field)
        {
            if (NodeIdentity.IsValidName(node.Value!)) return node.Value;
            Error(node, field, $"'{node.Value}' is not a node name (1-63 of a-z, 0-9, '.', '-')");
            return null;
        }

        public string? FilePath(YamlMappingNode parent, string field, string key, string dir, bool checkExists)
        {
            if (Scalar(parent, field, key, required: true) is not { } node) return null;
            string path = Path.IsPathRooted(node.Value!) ? node.Value! : Path.Combine(dir, node.Value!);
            if (checkExists && !System.IO.File.Exists(path))
            {
                Error(node, field, $"file '{path}' does not exist");
                return null;
            }
            return path;
        }

        public TimeSpan Duration(YamlMappingNode parent, string field, string key, TimeSpan fallback)
        {
            if (Scalar(parent, field, key, required: false) is not { } node) return fallback;
            string v = node.Value!.Trim();
            (string number, double scale) = v.EndsWith("ms", StringComparison.Ordinal) ? (v[..^2], 0.001)
                : v.EndsWith('s') ? (v[..^1], 1) : v.EndsWith('m') ? (v[..^1], 60) : (v, 1);
            if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value <= 0 || value * scale > 3600)
            {
                Error(node, field, $"'{v}' is not a duration like 500ms, 15s or 1m (positive, at most 1 h)");
                return fallback;
            }
            return TimeSpan.FromSeconds(value * scale);
        }

        public uint UInt(YamlScalarNode node, string field, uint min, uint max)
        {
            if (uint.TryParse(node.Value, NumberStyles.None, CultureInfo.InvariantCulture, out uint v) && v >= min && v <= max) return v;
            Error(node, field, $"'{node.Value}' must be a whole number from {min} to {max}");
            return 0;
        }

        public IPEndPoint? EndPoint(YamlScalarNode node, string field)
        {
            if (IPEndPoint.TryParse(node.Value!, out var ep) && ep.Port != 0 && (node.Value!.Contains("]:") || node.Value!.Count(c => c == ':') == 1))
                return ep;
            Error(node, field, $"'{node.Value}' must be IP:port, e.g. 10.0.0.5:{DefaultPort} or [fd00::5]:{DefaultPort}");
            return null;
        }
    }
}

/// <summary>A config that cannot be used; Errors lists every problem found, each naming file and field.</summary>
public sealed class TunnelConfigException(string message, IReadOnlyList<string> errors) : Exception(message)
{
    public IReadOnlyList<string> Errors { get; } = errors.Count > 0 ? errors : [message];
}
