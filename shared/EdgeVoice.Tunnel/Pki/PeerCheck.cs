using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Tunnel.Pki;

/// <summary>Which check refused a peer's certificate (names as in docs/tunnel-wire-format.md §1.1).</summary>
public enum PeerCheckFailure
{
    None = 0,
    NoCertificate,
    BadCertificate,
    UntrustedChain,
    Expired,
    NotYetValid,
    WrongRole,
    WrongName,
}

public readonly record struct PeerCheckResult(PeerCheckFailure Failure, NodeIdentity? Identity, string Detail)
{
    public bool Accepted => Failure == PeerCheckFailure.None;
}

/// <summary>Decides whether a peer's certificate chain is a cluster node this side should talk to.</summary>
public sealed class PeerCheck(X509Certificate2 clusterCa, NodeRole expectedRole, IReadOnlyCollection<string> allowedNames)
{
    public NodeRole ExpectedRole => expectedRole;

    /// <param name="chain">DER certificates as sent by the peer, leaf first.</param>
    /// <param name="now">Wall-clock time for validity checks (certificates are dated in UTC).</param>
    public PeerCheckResult Check(IReadOnlyList<byte[]> chain, DateTimeOffset now)
    {
        if (chain.Count == 0)
            return new(PeerCheckFailure.NoCertificate, null, "the peer sent no certificate");
        X509Certificate2 leaf;
        var extra = new List<X509Certificate2>();
        try
        {
            leaf = X509CertificateLoader.LoadCertificate(chain[0]);
            for (int i = 1; i < chain.Count; i++)
                extra.Add(X509CertificateLoader.LoadCertificate(chain[i]));
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            return new(PeerCheckFailure.BadCertificate, null, $"unreadable certificate: {e.Message}");
        }
        using (leaf)
        {
            try
            {
                return CheckLeaf(leaf, extra, now);
            }
            finally
            {
                foreach (var c in extra) c.Dispose();
            }
        }
    }

    private PeerCheckResult CheckLeaf(X509Certificate2 leaf, List<X509Certificate2> extra, DateTimeOffset now)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(clusterCa);
        chain.ChainPolicy.ExtraStore.AddRange(extra.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        // Time is checked separately below so the log says "expired" rather than "untrusted".
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        bool built = chain.Build(leaf);
        var root = chain.ChainElements.Count > 0 ? chain.ChainElements[^1].Certificate : null;
        if (!built || root is null || !root.RawDataMemory.Span.SequenceEqual(clusterCa.RawDataMemory.Span))
        {
            string status = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()));
            return new(PeerCheckFailure.UntrustedChain, null, $"chain of '{leaf.Subject}' does not end at the cluster CA '{clusterCa.Subject}' ({status})");
        }
        foreach (var element in chain.ChainElements)
        {
            var c = element.Certificate;
            if (now < c.NotBefore.ToUniversalTime())
                return new(PeerCheckFailure.NotYetValid, null, $"'{c.Subject}' is valid from {c.NotBefore.ToUniversalTime():u}");
            if (now > c.NotAfter.ToUniversalTime())
                return new(PeerCheckFailure.Expired, null, $"'{c.Subject}' expired {c.NotAfter.ToUniversalTime():u}");
        }
        var identities = ClusterPki.ReadIdentities(leaf);
        if (identities.Count != 1)
            return new(PeerCheckFailure.BadCertificate, null, $"'{leaf.Subject}' has {identities.Count} edgevoice:// SAN URIs, exactly one is required");
        var identity = identities[0];
        if (identity.Role != expectedRole)
            return new(PeerCheckFailure.WrongRole, identity, $"peer is {identity}, a {NodeIdentity.RoleText(expectedRole)} was expected");
        if (!allowedNames.Contains(identity.Name))
            return new(PeerCheckFailure.WrongName, identity, $"peer is {identity}, expected one of: {string.Join(", ", allowedNames)}");
        return new(PeerCheckFailure.None, identity, $"peer is {identity}");
    }
}
