using System.Net;
using EdgeVoice.WebRtc.Sdp;

namespace EdgeVoice.WebRtc.Tests.Sdp;

public class SdpAnswerTests
{
    private static EdgeVoice.WebRtc.Dtls.DtlsFingerprint Fingerprint(string algorithm, byte[] digest)
    {
        Assert.True(EdgeVoice.WebRtc.Dtls.DtlsFingerprint.TryParse($"{algorithm} {Convert.ToHexString(digest).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b)}",
            out var fingerprint, out _));
        return fingerprint;
    }

    private static readonly byte[] RelayDigest = Enumerable.Range(0xA0, 32).Select(i => (byte)i).ToArray();

    internal static SdpAnswerParameters Parameters(string address = "198.51.100.20", int port = 3478) => new()
    {
        IceUfrag = "AAAQrelayUfrag0token",
        IcePwd = "relayPasswordRelayPassword1",
        Fingerprint = Fingerprint("sha-256", RelayDigest),
        PublicAddress = IPAddress.Parse(address),
        PublicPort = port,
        Ssrc = 305419896,
        Cname = "edgevoice-relay",
        SessionId = 7204358230981,
        SessionVersion = 1,
    };

    private static SdpOffer Offer(string sdp)
    {
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        return offer;
    }

    [Fact]
    public void AnswerToChromiumOfferIsExactlyTheExpectedText()
    {
        string answer = SdpAnswer.Build(Offer(SdpSamples.ChromiumLike), Parameters());
        string expected = string.Join("\r\n",
            "v=0",
            "o=- 7204358230981 1 IN IP4 198.51.100.20",
            "s=-",
            "t=0 0",
            "a=ice-lite",
            "a=ice-ufrag:AAAQrelayUfrag0token",
            "a=ice-pwd:relayPasswordRelayPassword1",
            "a=fingerprint:sha-256 A0:A1:A2:A3:A4:A5:A6:A7:A8:A9:AA:AB:AC:AD:AE:AF:B0:B1:B2:B3:B4:B5:B6:B7:B8:B9:BA:BB:BC:BD:BE:BF",
            "a=setup:passive",
            "a=group:BUNDLE 0",
            "a=msid-semantic:WMS edgevoice",
            "m=audio 3478 UDP/TLS/RTP/SAVPF 111",
            "c=IN IP4 198.51.100.20",
            "a=mid:0",
            "a=sendrecv",
            "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2",
            "a=fmtp:111 minptime=10;useinbandfec=1",
            "a=ice-ufrag:AAAQrelayUfrag0token",
            "a=ice-pwd:relayPasswordRelayPassword1",
            "a=fingerprint:sha-256 A0:A1:A2:A3:A4:A5:A6:A7:A8:A9:AA:AB:AC:AD:AE:AF:B0:B1:B2:B3:B4:B5:B6:B7:B8:B9:BA:BB:BC:BD:BE:BF",
            "a=setup:passive",
            "a=msid:edgevoice agent-audio",
            "a=ssrc:305419896 cname:edgevoice-relay",
            "a=ssrc:305419896 msid:edgevoice agent-audio",
            "a=candidate:1 1 udp 2130706431 198.51.100.20 3478 typ host",
            "a=end-of-candidates",
            "m=application 0 UDP/DTLS/SCTP webrtc-datachannel",
            "c=IN IP4 0.0.0.0",
            "a=mid:1",
            "");
        Assert.Equal(expected, answer);
    }

    [Fact]
    public void EveryOtherSectionIsRejectedWithPortZeroAndLeftOutOfBundle()
    {
        var offer = Offer(SdpSamples.Corpus("chromium-156-audio-video-datachannel-no-candidates.sdp"));
        string answer = SdpAnswer.Build(offer, Parameters());
        string[] lines = answer.Split("\r\n");
        Assert.Contains("a=group:BUNDLE 0", lines);
        Assert.Contains("m=video 0 UDP/TLS/RTP/SAVPF 96", lines);
        Assert.Contains("m=application 0 UDP/DTLS/SCTP webrtc-datachannel", lines);
        Assert.Single(lines, l => l.StartsWith("a=candidate:", StringComparison.Ordinal));

        Assert.True(SdpSessionDescription.TryParse(answer, out var parsed, out _, out string reason), reason);
        Assert.Equal(["0", "1", "2"], parsed.Media.Select(m => m.Mid));
        Assert.Equal([3478, 0, 0], parsed.Media.Select(m => m.Port));
        Assert.Equal(["0"], Assert.Single(parsed.BundleGroups));
        Assert.Equal(SdpDirection.Inactive, parsed.Media[1].Direction);
        Assert.True(parsed.Media[1].RtcpMux);
        // Transport attributes at session level cover the rejected sections for parsers that check every section.
        Assert.Equal("AAAQrelayUfrag0token", parsed.IceUfrag);
        Assert.Equal(SdpSetup.Passive, parsed.Setup);
        Assert.Single(parsed.Fingerprints);
    }

    [Fact]
    public void ExtraAudioSectionsAreRejected()
    {
        string second = "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:2\na=rtcp-mux\na=rtpmap:111 opus/48000/2\n";
        var offer = Offer(SdpSamples.ChromiumLike + second);
        Assert.True(SdpSessionDescription.TryParse(SdpAnswer.Build(offer, Parameters()), out var parsed, out _, out _));
        Assert.Equal([3478, 0, 0], parsed.Media.Select(m => m.Port));
        Assert.Equal(SdpMediaKind.Audio, parsed.Media[2].Kind);
        Assert.Equal("2", parsed.Media[2].Mid);
    }

    [Fact]
    public void AnswerParsesBackWithTheRelayTransport()
    {
        var offer = Offer(SdpSamples.Corpus("aiortc-1.4.0-audio-datachannel.sdp"));
        string answer = SdpAnswer.Build(offer, Parameters());
        Assert.DoesNotContain("\n", answer.Replace("\r\n", ""));
        Assert.EndsWith("\r\n", answer);

        Assert.True(SdpSessionDescription.TryParse(answer, out var parsed, out _, out string reason), reason);
        Assert.True(parsed.IceLite);
        var audio = parsed.Media[0];
        Assert.Equal(SdpMediaKind.Audio, audio.Kind);
        Assert.Equal(3478, audio.Port);
        Assert.Equal("UDP/TLS/RTP/SAVPF", audio.Proto);
        Assert.Equal(["96"], audio.Formats);
        Assert.Equal("AAAQrelayUfrag0token", audio.IceUfrag);
        Assert.Equal("relayPasswordRelayPassword1", audio.IcePwd);
        Assert.Equal(SdpSetup.Passive, audio.Setup);
        Assert.Equal(RelayDigest, Assert.Single(audio.Fingerprints).Digest.ToArray());
        Assert.True(audio.RtcpMux);
        Assert.True(audio.EndOfCandidates);
        var opus = audio.FindCodec("opus", 48000, 2);
        Assert.NotNull(opus);
        Assert.Equal(96, opus.PayloadType);
        Assert.Equal("1", opus.Parameters["useinbandfec"]);
        Assert.Equal(new SdpCandidate("1", 1, "udp", 2130706431, "198.51.100.20", 3478, "host", null, null), Assert.Single(audio.Candidates));
        Assert.Contains(new SdpSsrcAttribute(305419896, "cname", "edgevoice-relay"), audio.Ssrcs);
        Assert.Equal(0, parsed.Media[1].Port);
        Assert.Equal("DTLS/SCTP", parsed.Media[1].Proto);
        Assert.Equal(["5000"], parsed.Media[1].Formats);
    }

    [Fact]
    public void Ipv6PublicAddressUsesIp6()
    {
        string answer = SdpAnswer.Build(Offer(SdpSamples.ChromiumLike), Parameters("2001:db8::20", 3479));
        string[] lines = answer.Split("\r\n");
        Assert.Contains("o=- 7204358230981 1 IN IP6 2001:db8::20", lines);
        Assert.Contains("c=IN IP6 2001:db8::20", lines);
        Assert.Contains("c=IN IP6 ::", lines);
        Assert.Contains("m=audio 3479 UDP/TLS/RTP/SAVPF 111", lines);
        Assert.Contains("a=candidate:1 1 udp 2130706431 2001:db8::20 3479 typ host", lines);
        Assert.True(SdpSessionDescription.TryParse(answer, out var parsed, out _, out string reason), reason);
        Assert.Equal("2001:db8::20", parsed.Media[0].Candidates[0].Address);
    }

    [Fact]
    public void Ipv4MappedAddressIsWrittenAsIpv4()
    {
        string answer = SdpAnswer.Build(Offer(SdpSamples.ChromiumLike), Parameters("::ffff:192.0.2.1"));
        Assert.Contains("\r\nc=IN IP4 192.0.2.1\r\n", answer);
        Assert.Contains(" 192.0.2.1 3478 typ host\r\n", answer);
    }

    [Theory]
    [InlineData("sendrecv", "sendrecv", true)]
    [InlineData("sendonly", "recvonly", false)]
    [InlineData("recvonly", "sendonly", true)]
    [InlineData("inactive", "inactive", false)]
    public void DirectionMirrorsTheOffer(string offered, string answered, bool sendsSsrc)
    {
        var offer = Offer(SdpSamples.ChromiumLike.Replace("a=sendrecv\n", $"a={offered}\n"));
        string[] lines = SdpAnswer.Build(offer, Parameters()).Split("\r\n");
        Assert.Contains($"a={answered}", lines);
        Assert.Equal(sendsSsrc, lines.Any(l => l.StartsWith("a=ssrc:305419896 cname:", StringComparison.Ordinal)));
    }

    [Fact]
    public void OfferWithoutBundleGetsNoGroupLine()
    {
        string sdp = SdpSamples.ChromiumLike.Replace("a=group:BUNDLE 0 1\n", "");
        string answer = SdpAnswer.Build(Offer(sdp), Parameters());
        Assert.DoesNotContain("a=group:", answer);
    }

    [Fact]
    public void BundleOnlyAudioBecomesTheAnswerTaggedSection()
    {
        string sdp = """
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            t=0 0
            a=group:BUNDLE d a
            a=ice-ufrag:tagd
            a=ice-pwd:taggedpasswordtagged12
            a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel
            a=mid:d
            m=audio 0 UDP/TLS/RTP/SAVPF 111
            a=bundle-only
            a=mid:a
            a=rtcp-mux
            a=rtpmap:111 opus/48000/2
            """;
        Assert.True(SdpSessionDescription.TryParse(SdpAnswer.Build(Offer(sdp), Parameters()), out var parsed, out _, out _));
        Assert.Equal(["a"], Assert.Single(parsed.BundleGroups));
        Assert.Equal([0, 3478], parsed.Media.Select(m => m.Port));
    }

    [Fact]
    public void InvalidParametersAreProgrammingErrors()
    {
        var offer = Offer(SdpSamples.ChromiumLike);
        Assert.Throws<ArgumentException>(() => SdpAnswer.Build(offer, Parameters() with { IceUfrag = "a:b" }));
        Assert.Throws<ArgumentException>(() => SdpAnswer.Build(offer, Parameters() with { IcePwd = "short" }));
        Assert.Throws<ArgumentException>(() => SdpAnswer.Build(offer, Parameters() with { PublicPort = 0 }));
        Assert.Throws<ArgumentException>(() => SdpAnswer.Build(offer, Parameters() with { Cname = "two words" }));
        Assert.Throws<ArgumentException>(() => SdpAnswer.Build(offer, Parameters() with { Fingerprint = Fingerprint("sha-1", new byte[20]) }));
    }
}
