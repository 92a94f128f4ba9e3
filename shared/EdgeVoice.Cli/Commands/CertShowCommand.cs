using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Cli.Commands;

/// <summary>`edgevoice cert-show FILE`: what a certificate says, in the terms the tunnel checks.</summary>
public sealed class CertShowCommand : ICommand
{
    public string Name => "cert-show";
    public string Summary => "show a certificate: subject, issuer, validity, node identity, fingerprint";
    public string Usage => "edgevoice cert-show FILE.crt [--ca ca.crt]";

    public int Run(CommandArgs args, TextWriter output, TextWriter error)
    {
        string? caPath = args.Get("ca");
        args.RejectUnused();
        if (args.Positionals.Count != 1)
            throw new UsageException("give exactly one certificate file");
        using var cert = PkiFiles.LoadCertificate(args.Positionals[0]);
        output.WriteLine($"subject:     {cert.Subject}");
        output.WriteLine($"issuer:      {cert.Issuer}");
        output.WriteLine($"serial:      {cert.SerialNumber}");
        output.WriteLine($"not before:  {cert.NotBefore.ToUniversalTime():u}");
        output.WriteLine($"not after:   {cert.NotAfter.ToUniversalTime():u}");
        output.WriteLine($"key:         {cert.PublicKey.Oid.FriendlyName ?? cert.PublicKey.Oid.Value}");
        bool isCa = cert.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);
        output.WriteLine($"CA:          {(isCa ? "yes" : "no")}");
        foreach (var id in ClusterPki.ReadIdentities(cert))
            output.WriteLine($"identity:    {id}");
        output.WriteLine($"sha256:      {cert.GetCertHashString(HashAlgorithmName.SHA256)}");
        if (caPath is not null)
        {
            using var ca = PkiFiles.LoadCertificate(caPath);
            var now = DateTimeOffset.UtcNow;
            var ids = ClusterPki.ReadIdentities(cert);
            if (ids.Count == 1)
            {
                var result = new PeerCheck(ca, ids[0].Role, [ids[0].Name]).Check([cert.RawData], now);
                output.WriteLine($"check:       {(result.Accepted ? "accepted" : $"refused ({result.Failure}): {result.Detail}")}");
                return result.Accepted ? 0 : 2;
            }
            output.WriteLine("check:       refused: no single edgevoice:// identity");
            return 2;
        }
        return 0;
    }
}
