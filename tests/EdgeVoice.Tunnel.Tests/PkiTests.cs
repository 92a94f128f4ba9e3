using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Tunnel.Tests;

public class PkiTests(TestPki pki) : IClassFixture<TestPki>
{
    [Fact]
    public void NodeCertificate_CarriesIdentityAndChainsToCa()
    {
        Assert.Equal([new NodeIdentity(NodeRole.Relay, "relay-1")], ClusterPki.ReadIdentities(pki.Relay));
        Assert.Equal(pki.Ca.Subject, pki.Relay.Issuer);
        Assert.Contains(pki.Relay.Extensions.OfType<X509BasicConstraintsExtension>(), b => !b.CertificateAuthority);
        Assert.Contains(pki.Ca.Extensions.OfType<X509BasicConstraintsExtension>(), b => b.CertificateAuthority && b.PathLengthConstraint == 0);
    }

    [Theory]
    [InlineData("edgevoice://relay/relay-1", true)]
    [InlineData("edgevoice://transceiver/gpu.eu-1", true)]
    [InlineData("edgevoice://admin/x", false)]
    [InlineData("edgevoice://relay/", false)]
    [InlineData("edgevoice://relay/UPPER", false)]
    [InlineData("edgevoice://relay/a/b", false)]
    [InlineData("https://relay/relay-1", false)]
    [InlineData("edgevoice:relay/relay-1", false)]
    public void IdentityUri_Parse(string uri, bool valid)
    {
        Assert.Equal(valid, NodeIdentity.TryParseUri(uri, out var id));
        if (valid) Assert.Equal(uri, id!.Value.ToUri());
    }

    [Fact]
    public void Check_AcceptsGoodPeers()
    {
        var r = pki.TransceiverSideCheck().Check([pki.Relay.RawData], TestPki.Now);
        Assert.True(r.Accepted, r.Detail);
        Assert.Equal(new NodeIdentity(NodeRole.Relay, "relay-1"), r.Identity);
        Assert.True(pki.RelaySideCheck().Check([pki.Transceiver.RawData, pki.Ca.RawData], TestPki.Now).Accepted);
    }

    public static TheoryData<string, PeerCheckFailure> Refusals => new()
    {
        { nameof(TestPki.RelayFromOtherCa), PeerCheckFailure.UntrustedChain },
        { nameof(TestPki.ExpiredRelay), PeerCheckFailure.Expired },
        { nameof(TestPki.RelayNamedTransceiver), PeerCheckFailure.WrongRole },
        { nameof(TestPki.RelayWrongName), PeerCheckFailure.WrongName },
        { nameof(TestPki.OtherCa), PeerCheckFailure.UntrustedChain },
        { nameof(TestPki.Ca), PeerCheckFailure.BadCertificate }, // the CA itself has no node identity
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Check_RefusesWithTheFailedCheck(string certificate, PeerCheckFailure expected)
    {
        var cert = (X509Certificate2)typeof(TestPki).GetProperty(certificate)!.GetValue(pki)!;
        var r = pki.TransceiverSideCheck().Check([cert.RawData], TestPki.Now);
        Assert.Equal(expected, r.Failure);
        Assert.False(string.IsNullOrEmpty(r.Detail));
    }

    [Fact]
    public void Check_NoCertificate_And_Garbage()
    {
        Assert.Equal(PeerCheckFailure.NoCertificate, pki.TransceiverSideCheck().Check([], TestPki.Now).Failure);
        Assert.Equal(PeerCheckFailure.BadCertificate, pki.TransceiverSideCheck().Check([[0x30, 0x03, 0x02, 0x01]], TestPki.Now).Failure);
    }

    [Fact]
    public void Check_NotYetValid()
    {
        var r = pki.TransceiverSideCheck().Check([pki.Relay.RawData], TestPki.Now.AddDays(-2));
        Assert.Equal(PeerCheckFailure.NotYetValid, r.Failure);
    }

    [Fact]
    public void CheckAgainstOtherCaWithSameName_IsUntrusted()
    {
        // Both CAs have the same subject: trust must come from the key, not the name.
        var r = new PeerCheck(pki.OtherCa, NodeRole.Relay, ["relay-1"]).Check([pki.Relay.RawData], TestPki.Now);
        Assert.Equal(PeerCheckFailure.UntrustedChain, r.Failure);
    }
}
