using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>A test cluster's PKI on disk: <c>ca.crt</c> and a <c>NAME.crt</c> / <c>NAME.key</c> pair per node, valid from yesterday for 30 days.</summary>
public static class TestClusterPki
{
    /// <summary>Writes the files and returns the CA (with its key) for certificates a test issues later; the caller disposes it.</summary>
    public static X509Certificate2 Create(string directory, string relayName, IEnumerable<string> transceiverNames)
    {
        var now = DateTimeOffset.UtcNow;
        var ca = ClusterPki.CreateCa("test", now.AddDays(-1), now.AddDays(30));
        PkiFiles.WriteCertificate(Path.Combine(directory, "ca.crt"), ca, overwrite: true);
        foreach (var (role, name) in transceiverNames.Select(n => (NodeRole.Transceiver, n)).Prepend((NodeRole.Relay, relayName)))
        {
            using var node = ClusterPki.IssueNode(ca, new NodeIdentity(role, name), now.AddDays(-1), now.AddDays(30));
            PkiFiles.WriteCertificate(Path.Combine(directory, name + ".crt"), node, overwrite: true);
            PkiFiles.WritePrivateKey(Path.Combine(directory, name + ".key"), node, overwrite: true);
        }
        return ca;
    }

    /// <summary>Writes the files only.</summary>
    public static void Write(string directory, string relayName, IEnumerable<string> transceiverNames) =>
        Create(directory, relayName, transceiverNames).Dispose();
}
