using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Cli.Commands;

/// <summary>`edgevoice ca-create`: a new cluster CA (certificate + key, both 0600).</summary>
public sealed class CaCreateCommand : ICommand
{
    public string Name => "ca-create";
    public string Summary => "create a cluster CA (ECDSA P-256) for the tunnel's mutual TLS";
    public string Usage => "edgevoice ca-create --cluster NAME --cert ca.crt --key ca.key [--days 3650] [--force]";

    public int Run(CommandArgs args, TextWriter output, TextWriter error)
    {
        string cluster = args.Require("cluster");
        string certPath = args.Require("cert");
        string keyPath = args.Require("key");
        int days = args.Days("days", 3650);
        bool force = args.Has("force");
        args.RejectUnused();

        var now = DateTimeOffset.UtcNow;
        using var ca = ClusterPki.CreateCa(cluster, now.AddMinutes(-5), now.AddDays(days));
        PkiFiles.WritePrivateKey(keyPath, ca, force);
        PkiFiles.WriteCertificate(certPath, ca, force);
        output.WriteLine($"cluster CA '{ca.Subject}' valid until {ca.NotAfter.ToUniversalTime():u}");
        output.WriteLine($"  certificate: {certPath}");
        output.WriteLine($"  private key: {keyPath} (mode 0600; keep it off the nodes)");
        output.WriteLine($"  SHA-256 fingerprint: {ca.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}");
        return 0;
    }
}
