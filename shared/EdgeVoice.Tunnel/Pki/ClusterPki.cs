using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Tunnel.Pki;

/// <summary>Creates the cluster CA and issues node certificates (docs/tunnel-wire-format.md §1.1).</summary>
public static class ClusterPki
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A self-signed ECDSA P-256 CA that may sign node certificates only (pathlen 0).</summary>
    public static X509Certificate2 CreateCa(string clusterName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(clusterName)} cluster CA, O=EdgeVoice"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(notBefore, notAfter);
    }

    /// <summary>A node certificate for <paramref name="identity"/>, signed by <paramref name="ca"/> (which must hold its private key).</summary>
    public static X509Certificate2 IssueNode(X509Certificate2 ca, NodeIdentity identity, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (!NodeIdentity.IsValidName(identity.Name))
            throw new ArgumentException($"node name '{identity.Name}' must match [a-z0-9][a-z0-9.-]{{0,62}}", nameof(identity));
        using var caKey = ca.GetECDsaPrivateKey() ?? throw new ArgumentException("the CA certificate has no ECDSA private key", nameof(ca));
        if (notAfter > ca.NotAfter)
            notAfter = ca.NotAfter; // a node certificate must not outlive its CA
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(
            new X500DistinguishedName($"CN={identity.Name}, OU={NodeIdentity.RoleText(identity.Role)}, O=EdgeVoice"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(identity.ToUri()));
        request.CertificateExtensions.Add(san.Build(true));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>The node identities in the certificate's SAN URIs (normally exactly one).</summary>
    public static List<NodeIdentity> ReadIdentities(X509Certificate2 certificate)
    {
        var found = new List<NodeIdentity>();
        foreach (var ext in certificate.Extensions)
        {
            if (ext.Oid?.Value != "2.5.29.17")
                continue;
            try
            {
                var reader = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
                var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
                while (reader.HasData)
                {
                    if (reader.PeekTag() == uriTag)
                    {
                        string uri = reader.ReadCharacterString(UniversalTagNumber.IA5String, uriTag);
                        if (NodeIdentity.TryParseUri(uri, out var id))
                            found.Add(id.Value);
                    }
                    else
                    {
                        reader.ReadEncodedValue();
                    }
                }
            }
            catch (AsnContentException)
            {
                // A malformed SAN carries no identity.
            }
        }
        return found;
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("=", "\\=").Replace("\"", "\\\"");
}

/// <summary>PEM files for the cluster PKI: everything written 0600, never overwritten silently.</summary>
public static class PkiFiles
{
    public static void WriteCertificate(string path, X509Certificate2 certificate, bool overwrite) =>
        WritePrivate(path, certificate.ExportCertificatePem() + "\n", overwrite);

    public static void WritePrivateKey(string path, X509Certificate2 certificate, bool overwrite)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException("certificate has no ECDSA private key", nameof(certificate));
        WritePrivate(path, key.ExportPkcs8PrivateKeyPem() + "\n", overwrite);
    }

    public static X509Certificate2 LoadCertificate(string path) => X509Certificate2.CreateFromPem(File.ReadAllText(path));

    public static X509Certificate2 LoadCertificateWithKey(string certPath, string keyPath)
    {
        using var cert = LoadCertificate(certPath);
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyPath));
        return cert.CopyWithPrivateKey(key);
    }

    private static void WritePrivate(string path, string text, bool overwrite)
    {
        var options = new FileStreamOptions
        {
            Mode = overwrite ? FileMode.Create : FileMode.CreateNew,
            Access = FileAccess.Write,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600 from the first byte, no window
        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // an overwritten file keeps its old mode otherwise
    }
}
