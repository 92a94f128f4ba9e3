using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Tunnel.Tests;

/// <summary>One cluster CA and the node certificates the tests need, good and bad, made once.</summary>
public sealed class TestPki : IDisposable
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public X509Certificate2 Ca { get; }
    public X509Certificate2 OtherCa { get; }
    public X509Certificate2 Relay { get; }
    public X509Certificate2 Transceiver { get; }
    public X509Certificate2 RelayFromOtherCa { get; }
    public X509Certificate2 TransceiverFromOtherCa { get; }
    public X509Certificate2 ExpiredRelay { get; }
    public X509Certificate2 ExpiredTransceiver { get; }
    /// <summary>Signed by the right CA, for the right name, but with the transceiver role.</summary>
    public X509Certificate2 RelayNamedTransceiver { get; }
    public X509Certificate2 RelayWrongName { get; }

    public TestPki()
    {
        Ca = ClusterPki.CreateCa("test", Now.AddDays(-30), Now.AddDays(365));
        OtherCa = ClusterPki.CreateCa("test", Now.AddDays(-30), Now.AddDays(365));
        Relay = Issue(Ca, NodeRole.Relay, "relay-1");
        Transceiver = Issue(Ca, NodeRole.Transceiver, "gpu-1");
        RelayFromOtherCa = Issue(OtherCa, NodeRole.Relay, "relay-1");
        TransceiverFromOtherCa = Issue(OtherCa, NodeRole.Transceiver, "gpu-1");
        ExpiredRelay = ClusterPki.IssueNode(Ca, new(NodeRole.Relay, "relay-1"), Now.AddDays(-20), Now.AddDays(-1));
        ExpiredTransceiver = ClusterPki.IssueNode(Ca, new(NodeRole.Transceiver, "gpu-1"), Now.AddDays(-20), Now.AddDays(-1));
        RelayNamedTransceiver = Issue(Ca, NodeRole.Transceiver, "relay-1");
        RelayWrongName = Issue(Ca, NodeRole.Relay, "relay-9");
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, NodeRole role, string name) =>
        ClusterPki.IssueNode(ca, new NodeIdentity(role, name), Now.AddDays(-1), Now.AddDays(30));

    /// <summary>What a transceiver that accepts relay-1 checks.</summary>
    public PeerCheck TransceiverSideCheck() => new(Ca, NodeRole.Relay, ["relay-1"]);

    /// <summary>What relay-1 dialing gpu-1 checks.</summary>
    public PeerCheck RelaySideCheck() => new(Ca, NodeRole.Transceiver, ["gpu-1"]);

    public void Dispose()
    {
        foreach (var c in new[] { Ca, OtherCa, Relay, Transceiver, RelayFromOtherCa, TransceiverFromOtherCa, ExpiredRelay, ExpiredTransceiver, RelayNamedTransceiver, RelayWrongName })
            c.Dispose();
    }
}
