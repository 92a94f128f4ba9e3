using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Cli.Commands;

/// <summary>`edgevoice cert-issue`: a node certificate for a role and name, signed by the cluster CA.</summary>
public sealed class CertIssueCommand : ICommand
{
    public string Name => "cert-issue";
    public string Summary => "issue a node certificate (role relay|transceiver, node name) from the cluster CA";
    public string Usage => "edgevoice cert-issue --ca-cert ca.crt --ca-key ca.key --role relay|transceiver --name NODE --cert node.crt --key node.key [--days 365] [--force]";

    public int Run(CommandArgs args, TextWriter output, TextWriter error)
    {
        string caCert = args.Require("ca-cert");
        string caKey = args.Require("ca-key");
        string roleText = args.Require("role");
        string name = args.Require("name");
        string certPath = args.Require("cert");
        string keyPath = args.Require("key");
        int days = args.Days("days", 365);
        bool force = args.Has("force");
        args.RejectUnused();
        if (!NodeIdentity.TryParseRole(roleText, out NodeRole role))
            throw new UsageException($"--role must be 'relay' or 'transceiver', got '{roleText}'");
        if (!NodeIdentity.IsValidName(name))
            throw new UsageException($"--name '{name}' must be 1-63 characters of a-z, 0-9, '.', '-', starting with a letter or digit");

        using var ca = PkiFiles.LoadCertificateWithKey(caCert, caKey);
        var now = DateTimeOffset.UtcNow;
        var identity = new NodeIdentity(role, name);
        using var node = ClusterPki.IssueNode(ca, identity, now.AddMinutes(-5), now.AddDays(days));
        PkiFiles.WritePrivateKey(keyPath, node, force);
        PkiFiles.WriteCertificate(certPath, node, force);
        output.WriteLine($"issued {identity} valid until {node.NotAfter.ToUniversalTime():u}");
        output.WriteLine($"  certificate: {certPath}");
        output.WriteLine($"  private key: {keyPath} (mode 0600)");
        return 0;
    }
}
