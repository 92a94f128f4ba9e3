using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Tunnel.Pki;

/// <summary>A node's role and name, carried in its certificate as the SAN URI <c>edgevoice://role/name</c>.</summary>
public readonly partial record struct NodeIdentity(NodeRole Role, string Name)
{
    public const string UriScheme = "edgevoice";

    public static string RoleText(NodeRole role) => role switch
    {
        NodeRole.Relay => "relay",
        NodeRole.Transceiver => "transceiver",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown role"),
    };

    public static bool TryParseRole(string text, out NodeRole role)
    {
        role = text switch { "relay" => NodeRole.Relay, "transceiver" => NodeRole.Transceiver, _ => 0 };
        return role != 0;
    }

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public string ToUri() => $"{UriScheme}://{RoleText(Role)}/{Name}";

    public static bool TryParseUri(string uri, [NotNullWhen(true)] out NodeIdentity? identity)
    {
        identity = null;
        const string prefix = UriScheme + "://";
        if (!uri.StartsWith(prefix, StringComparison.Ordinal))
            return false;
        string rest = uri[prefix.Length..];
        int slash = rest.IndexOf('/');
        if (slash < 0 || !TryParseRole(rest[..slash], out var role) || !IsValidName(rest[(slash + 1)..]))
            return false;
        identity = new NodeIdentity(role, rest[(slash + 1)..]);
        return true;
    }

    public override string ToString() => ToUri();

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{0,62}$")]
    private static partial Regex NamePattern();
}
