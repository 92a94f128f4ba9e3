using System.Text;
using EdgeVoice.WebRtc.Sdp;

namespace EdgeVoice.WebRtc.Tests.Sdp;

public class SdpOfferTests
{
    [Fact]
    public void ChromiumLikeOfferYieldsAudioTransportAndOpus()
    {
        Assert.True(SdpOffer.TryParse(SdpSamples.ChromiumLike, out var offer, out var error, out string reason), reason);
        Assert.Equal(SdpError.None, error);
        Assert.Equal(0, offer.AudioIndex);
        Assert.Equal("0", offer.Audio.Mid);
        Assert.Equal(54321, offer.Audio.Port);
        Assert.Equal(SdpDirection.SendRecv, offer.Audio.Direction);
        Assert.True(offer.Audio.RtcpMux);
        Assert.True(offer.Audio.RtcpReducedSize);
        Assert.Equal(["111", "63", "9", "0", "8", "13", "110", "126"], offer.Audio.Formats);
        Assert.Equal("tRNH", offer.IceUfrag);
        Assert.Equal("2o1V7DML3+dlfUP3KgDvxGcb", offer.IcePwd);
        Assert.Equal("sha-256", offer.Fingerprint.AlgorithmName);
        Assert.Equal(SdpSamples.ChromiumLikeFingerprint, offer.Fingerprint.Digest.ToArray());
        Assert.Equal(SdpSetup.ActPass, offer.Setup);
        Assert.Equal(["0", "1"], offer.BundleGroup);

        Assert.Equal(111, offer.Opus.PayloadType);
        Assert.Equal(48000, offer.Opus.ClockRate);
        Assert.Equal(2, offer.Opus.Channels);
        Assert.Equal("minptime=10;useinbandfec=1", offer.Opus.FormatParameters);
        Assert.Equal("10", offer.Opus.Parameters["minptime"]);
        Assert.Equal("1", offer.Opus.Parameters["UseInbandFec"]);
        Assert.Equal(new SdpRtpMap(63, "red", 48000, 2), offer.Audio.RtpMaps[1]);
        Assert.Equal("111/111", offer.Audio.FormatParameters(63));

        Assert.Equal(
            [new SdpSsrcAttribute(1853378982, "cname", "nHdn+Zf1TT2bGW+L"),
             new SdpSsrcAttribute(1853378982, "msid", "5d1f4e0c-2b7e-4c57-8b0e-7c1d1a1b2c3d f881aab8-8e4d-470c-8b5c-165b0eba6771")],
            offer.Audio.Ssrcs);
        Assert.Equal(
            [new SdpCandidate("4121935662", 1, "udp", 2113937151, "727ca5be-1fe5-4349-9d53-d5acf6c80d0e.local", 54321, "host", null, null),
             new SdpCandidate("842163049", 1, "udp", 1677729535, "203.0.113.7", 54321, "srflx", "0.0.0.0", 0)],
            offer.Candidates);
        Assert.False(offer.Audio.EndOfCandidates);
        Assert.Equal(1853378982u, offer.AudioSsrc);

        var application = offer.Description.Media[1];
        Assert.Equal(SdpMediaKind.Application, application.Kind);
        Assert.Equal("UDP/DTLS/SCTP", application.Proto);
        Assert.Equal(["webrtc-datachannel"], application.Formats);
        Assert.Equal("1", application.Mid);
    }

    [Fact]
    public void FirefoxStyleOfferWithSessionLevelFingerprintIsAccepted()
    {
        // Hand-written in Firefox's shape: fingerprint and ice-options at session level, Opus 109, sendrecv, no a=ssrc.
        string sdp = """
            v=0
            o=mozilla...THIS_IS_SDPARTA-99.0 8271542316453785110 0 IN IP4 0.0.0.0
            s=-
            t=0 0
            a=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33
            a=group:BUNDLE 0
            a=ice-options:trickle
            a=msid-semantic:WMS *
            m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101
            c=IN IP4 0.0.0.0
            a=sendrecv
            a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
            a=fmtp:109 maxplaybackrate=48000;stereo=1;useinbandfec=1
            a=fmtp:101 0-15
            a=ice-pwd:ec2f6c2b9e1c3d5a7f8e9d0c1b2a3948
            a=ice-ufrag:9b1c2d3e
            a=mid:0
            a=msid:{a5c1e0f2-7b3d-4c6e-9f8a-1b2c3d4e5f60} {0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0}
            a=rtcp-mux
            a=rtpmap:109 opus/48000/2
            a=rtpmap:9 G722/8000/1
            a=rtpmap:0 PCMU/8000
            a=rtpmap:8 PCMA/8000
            a=rtpmap:101 telephone-event/8000/1
            a=setup:actpass
            """;
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        Assert.Equal(109, offer.Opus.PayloadType);
        Assert.Equal("1", offer.Opus.Parameters["stereo"]);
        Assert.Equal(SdpSamples.ChromiumLikeFingerprint, offer.Fingerprint.Digest.ToArray());
        Assert.Equal("9b1c2d3e", offer.IceUfrag);
        Assert.Null(offer.AudioSsrc);
        Assert.Empty(offer.Candidates);
    }

    [Fact]
    public void CrlfAndLfGiveTheSameOffer()
    {
        string crlf = SdpSamples.ChromiumLike.Replace("\n", "\r\n");
        Assert.True(SdpOffer.TryParse(crlf, out var a, out _, out string reason), reason);
        Assert.True(SdpOffer.TryParse(SdpSamples.ChromiumLike, out var b, out _, out _));
        Assert.Equal(b.IceUfrag, a.IceUfrag);
        Assert.Equal(b.IcePwd, a.IcePwd);
        Assert.Equal(b.Opus.FormatParameters, a.Opus.FormatParameters);
        Assert.Equal(b.Candidates, a.Candidates);
    }

    [Fact]
    public void RealChromiumOfferWithoutCandidatesIsAccepted()
    {
        // Recorded from Chromium 156 with --webrtc-ip-handling-policy=default_public_interface_only: no a=candidate lines.
        string sdp = SdpSamples.Corpus("chromium-156-audio-video-datachannel-no-candidates.sdp");
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        Assert.Empty(offer.Candidates);
        Assert.Equal(3, offer.Description.Media.Count);
        Assert.Equal([SdpMediaKind.Audio, SdpMediaKind.Video, SdpMediaKind.Application], offer.Description.Media.Select(m => m.Kind));
        Assert.Equal(SdpDirection.RecvOnly, offer.Description.Media[1].Direction);
        Assert.Equal(111, offer.Opus.PayloadType);
        Assert.Equal("dl1I", offer.IceUfrag);
        Assert.Equal(["0", "1", "2"], offer.BundleGroup);
    }

    [Fact]
    public void RealAiortcOfferHasFullCandidatesAndOpus96()
    {
        // Recorded from python3-aiortc 1.4.0 (createOffer after gathering): full ICE, end-of-candidates, legacy DTLS/SCTP.
        string sdp = SdpSamples.Corpus("aiortc-1.4.0-audio-datachannel.sdp");
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        Assert.Equal(96, offer.Opus.PayloadType);
        Assert.Equal("", offer.Opus.FormatParameters);
        Assert.Equal("SWGu", offer.IceUfrag);
        Assert.Equal("HQOu1n2gOPbB50f9btp5mZ", offer.IcePwd);
        Assert.Equal(SdpSetup.ActPass, offer.Setup);
        Assert.True(offer.Audio.EndOfCandidates);
        Assert.Equal(["192.0.2.2", "fd00::2"], offer.Candidates.Select(c => c.Address));
        Assert.All(offer.Candidates, c => Assert.Equal("host", c.Type));
        Assert.Equal([new SdpRtpMap(96, "opus", 48000, 2), new SdpRtpMap(0, "PCMU", 8000, 1), new SdpRtpMap(8, "PCMA", 8000, 1)],
            offer.Audio.RtpMaps);
        Assert.Equal("DTLS/SCTP", offer.Description.Media[1].Proto);
        // The data channel section carries its own credentials; the audio transport uses the audio section's.
        Assert.Equal("PA8P", offer.Description.Media[1].IceUfrag);
    }

    [Theory]
    [MemberData(nameof(CorpusOffers))]
    public void EveryCorpusOfferParses(string name)
    {
        Assert.True(SdpOffer.TryParse(SdpSamples.Corpus(name), out var offer, out _, out string reason), $"{name}: {reason}");
        Assert.Equal(SdpMediaKind.Audio, offer.Audio.Kind);
        Assert.Equal("opus", offer.Opus.EncodingName);
    }

    public static TheoryData<string> CorpusOffers() => new(SdpSamples.CorpusNames());

    [Fact]
    public void SessionLevelCredentialsApplyWhenTheSectionHasNone()
    {
        string sdp = """
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            t=0 0
            a=ice-ufrag:sess
            a=ice-pwd:sessionpasswordsession1
            a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
            a=setup:active
            m=audio 9 UDP/TLS/RTP/SAVPF 109
            a=rtcp-mux
            a=rtpmap:109 OPUS/48000/2
            m=audio 9 UDP/TLS/RTP/SAVPF 109
            a=ice-ufrag:medi
            a=rtcp-mux
            a=rtpmap:109 opus/48000/2
            """;
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        Assert.Equal("sess", offer.IceUfrag);
        Assert.Equal("sessionpasswordsession1", offer.IcePwd);
        Assert.Equal(SdpSetup.Active, offer.Setup);
        Assert.Equal(109, offer.Opus.PayloadType);
        Assert.Empty(offer.BundleGroup);
        Assert.Equal("medi", offer.Description.Media[1].IceUfrag);
    }

    [Fact]
    public void MediaLevelCredentialsOverrideSessionLevel()
    {
        string sdp = SdpSamples.ChromiumLike.Replace("t=0 0\n", "t=0 0\na=ice-ufrag:sess\na=ice-pwd:sessionpasswordsession1\n");
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        Assert.Equal("tRNH", offer.IceUfrag);
        Assert.Equal("sess", offer.Description.IceUfrag);
    }

    [Fact]
    public void BundleOnlyAudioSectionTakesTransportFromTheTaggedSection()
    {
        // JSEP max-bundle: the audio section has port 0, a=bundle-only and no transport attributes of its own.
        string sdp = """
            v=0
            o=- 1 1 IN IP4 0.0.0.0
            s=-
            t=0 0
            a=group:BUNDLE d a
            m=application 9 UDP/DTLS/SCTP webrtc-datachannel
            a=mid:d
            a=ice-ufrag:tagd
            a=ice-pwd:taggedpasswordtagged12
            a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF
            a=setup:actpass
            m=audio 0 UDP/TLS/RTP/SAVPF 111
            a=bundle-only
            a=mid:a
            a=rtcp-mux
            a=rtpmap:111 opus/48000/2
            """;
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        Assert.Equal(1, offer.AudioIndex);
        Assert.Equal("tagd", offer.IceUfrag);
        Assert.Equal(SdpSetup.ActPass, offer.Setup);
        Assert.Equal(["d", "a"], offer.BundleGroup);
    }

    [Fact]
    public void FirstEnabledAudioSectionIsChosen()
    {
        string disabled = "m=audio 0 UDP/TLS/RTP/SAVPF 0\na=mid:x\n";
        string sdp = SdpSamples.ChromiumLike.Replace("m=audio 54321", disabled + "m=audio 54321");
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        Assert.Equal(1, offer.AudioIndex);
        Assert.Equal("0", offer.Audio.Mid);
        Assert.True(offer.Description.Media[0].IsDisabled);
    }

    [Fact]
    public void PrefersSha256AmongSeveralFingerprints()
    {
        string sha1 = "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n";
        string sdp = SdpSamples.ChromiumLike.Replace("a=setup:actpass\na=mid:0", sha1 + "a=setup:actpass\na=mid:0");
        Assert.True(SdpOffer.TryParse(sdp, out var offer, out _, out string reason), reason);
        Assert.Equal(2, offer.Fingerprints.Count);
        Assert.Equal("sha-256", offer.Fingerprint.AlgorithmName);
    }

    [Fact]
    public void Utf8OverloadRejectsInvalidEncodingAndAcceptsValidBytes()
    {
        Assert.True(SdpOffer.TryParse(Encoding.UTF8.GetBytes(SdpSamples.ChromiumLike), out _, out _, out string reason), reason);
        byte[] bad = Encoding.UTF8.GetBytes(SdpSamples.ChromiumLike.Replace("s=-", "s=\u00e9"));
        int at = Array.IndexOf(bad, (byte)0xC3);
        bad[at + 1] = 0x28;
        Assert.False(SdpOffer.TryParse(bad, out _, out var error, out _));
        Assert.Equal(SdpError.InvalidEncoding, error);
    }

    public static TheoryData<string, string, string, SdpError> Malformed() => new()
    {
        { "no version line", "v=0\n", "", SdpError.MissingVersion },
        { "version 1", "v=0\n", "v=1\n", SdpError.MissingVersion },
        { "line without =", "s=-\n", "s-\n", SdpError.MalformedLine },
        { "upper-case line type", "s=-\n", "S=-\n", SdpError.MalformedLine },
        { "m= port too large", "m=audio 54321", "m=audio 70000", SdpError.MalformedMediaLine },
        { "m= port not a number", "m=audio 54321", "m=audio x", SdpError.MalformedMediaLine },
        { "m= without formats", "m=application 54321 UDP/DTLS/SCTP webrtc-datachannel", "m=application 54321 UDP/DTLS/SCTP", SdpError.MalformedMediaLine },
        { "m= bad proto", "UDP/DTLS/SCTP webrtc", "UDP//SCTP webrtc", SdpError.MalformedMediaLine },
        { "rtpmap payload type 128", "a=rtpmap:111 opus", "a=rtpmap:128 opus", SdpError.MalformedAttribute },
        { "rtpmap without clock rate", "a=rtpmap:9 G722/8000", "a=rtpmap:9 G722", SdpError.MalformedAttribute },
        { "rtpmap clock rate zero", "a=rtpmap:9 G722/8000", "a=rtpmap:9 G722/0", SdpError.MalformedAttribute },
        { "rtpmap twice", "a=rtpmap:9 G722/8000", "a=rtpmap:9 G722/8000\na=rtpmap:9 G722/8000", SdpError.DuplicateAttribute },
        { "fmtp twice", "a=fmtp:63 111/111", "a=fmtp:63 111/111\na=fmtp:63 111", SdpError.DuplicateAttribute },
        { "ssrc not a number", "a=ssrc:1853378982 cname", "a=ssrc:-1 cname", SdpError.MalformedAttribute },
        { "ssrc too large", "a=ssrc:1853378982 cname", "a=ssrc:4294967296 cname", SdpError.MalformedAttribute },
        { "setup unknown", "a=setup:actpass\na=mid:0", "a=setup:both\na=mid:0", SdpError.MalformedAttribute },
        { "setup twice", "a=setup:actpass\na=mid:0", "a=setup:actpass\na=setup:active\na=mid:0", SdpError.DuplicateAttribute },
        { "mid twice in a section", "a=mid:0\n", "a=mid:0\na=mid:2\n", SdpError.DuplicateAttribute },
        { "mid reused", "a=mid:1\n", "a=mid:0\n", SdpError.DuplicateMid },
        { "mid too long", "a=mid:1\n", "a=mid:" + new string('m', 33) + "\n", SdpError.MalformedAttribute },
        { "two directions", "a=sendrecv\n", "a=sendrecv\na=recvonly\n", SdpError.DuplicateAttribute },
        { "candidate without typ", "54321 typ srflx", "54321 type srflx", SdpError.MalformedCandidate },
        { "candidate short", "a=candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999", "a=candidate:842163049 1 udp", SdpError.MalformedCandidate },
        { "candidate component 0", "a=candidate:842163049 1 udp", "a=candidate:842163049 0 udp", SdpError.MalformedCandidate },
        { "candidate priority overflow", "1677729535 203.0.113.7", "4294967296 203.0.113.7", SdpError.MalformedCandidate },
        { "candidate address with quote", "1677729535 203.0.113.7", "1677729535 203.0.113.7\"", SdpError.MalformedCandidate },
        { "candidate port overflow", "203.0.113.7 54321 typ", "203.0.113.7 65536 typ", SdpError.MalformedCandidate },
        { "candidate rport bad", "rport 0", "rport x", SdpError.MalformedCandidate },
        { "ice-ufrag too short", "a=ice-ufrag:tRNH\na=ice-pwd:2o1V7DML3+dlfUP3KgDvxGcb\na=ice-options:trickle\na=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", "a=ice-ufrag:tRN\na=mid:0", SdpError.MalformedIceCredentials },
        { "ice-ufrag bad char", "a=ice-ufrag:tRNH\na=ice-pwd:2o1V7DML3+dlfUP3KgDvxGcb\na=ice-options:trickle\na=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", "a=ice-ufrag:tR:H\na=mid:0", SdpError.MalformedIceCredentials },
        { "ice-pwd too short", "a=ice-pwd:2o1V7DML3+dlfUP3KgDvxGcb\na=ice-options:trickle\na=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", "a=ice-pwd:short\na=mid:0", SdpError.MalformedIceCredentials },
        { "ice-ufrag twice", "a=ice-ufrag:tRNH\na=ice-pwd:2o1V7DML3+dlfUP3KgDvxGcb\na=ice-options:trickle\na=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", "a=ice-ufrag:tRNH\na=ice-ufrag:xxxx\na=mid:0", SdpError.DuplicateAttribute },
        { "fingerprint lower-case hex ok but short", "2E:69:33\na=setup:actpass\na=mid:0", "2E:69\na=setup:actpass\na=mid:0", SdpError.MalformedFingerprint },
        { "fingerprint not hex", "6A:BA:24:81", "6A:BG:24:81", SdpError.MalformedFingerprint },
        { "fingerprint with dashes", "6A:BA:24:81", "6A-BA-24-81", SdpError.MalformedFingerprint },
        { "fingerprint without digest", "a=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", "a=fingerprint:sha-256\na=setup:actpass\na=mid:0", SdpError.MalformedFingerprint },
        { "no audio section", "m=audio 54321", "m=video 54321", SdpError.NoAudioSection },
        { "audio section disabled", "m=audio 54321", "m=audio 0", SdpError.NoAudioSection },
        { "no opus", "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 speex/48000/2", SdpError.NoOpus },
        { "opus not in the m= line", "111 63 9 0 8 13 110 126", "63 9 0 8 13 110 126", SdpError.NoOpus },
        { "opus mono only", "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/48000/1", SdpError.NoOpus },
        { "no ice credentials", "a=ice-ufrag:tRNH\na=ice-pwd:2o1V7DML3+dlfUP3KgDvxGcb\na=ice-options:trickle\na=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", "a=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", SdpError.MissingIceCredentials },
        { "no fingerprint", "a=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", "a=setup:actpass\na=mid:0", SdpError.MissingFingerprint },
        { "sha-1 fingerprint only", "a=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33\na=setup:actpass\na=mid:0", "a=fingerprint:sha-1 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E\na=setup:actpass\na=mid:0", SdpError.UnsupportedFingerprintAlgorithm },
        { "setup passive", "a=setup:actpass\na=mid:0", "a=setup:passive\na=mid:0", SdpError.UnsupportedSetupRole },
        { "setup holdconn", "a=setup:actpass\na=mid:0", "a=setup:holdconn\na=mid:0", SdpError.UnsupportedSetupRole },
        { "no rtcp-mux", "a=rtcp-mux\n", "", SdpError.RtcpMuxRequired },
        { "plain RTP", "m=audio 54321 UDP/TLS/RTP/SAVPF", "m=audio 54321 RTP/AVP", SdpError.UnsupportedProtocol },
        { "SDES-SRTP", "m=audio 54321 UDP/TLS/RTP/SAVPF", "m=audio 54321 RTP/SAVPF", SdpError.UnsupportedProtocol },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedOfferIsRefusedWithItsError(string name, string find, string replace, SdpError expected)
    {
        Assert.Contains(find, SdpSamples.ChromiumLike);
        string sdp = find == "v=0\n" && replace == "" ? SdpSamples.ChromiumLike[4..] : ReplaceFirst(SdpSamples.ChromiumLike, find, replace);
        Assert.False(SdpOffer.TryParse(sdp, out var offer, out var error, out string reason), name);
        Assert.Null(offer);
        Assert.Equal(expected, error);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.DoesNotContain('\n', reason);
    }

    [Fact]
    public void ReasonNamesTheLineAndTheProblem()
    {
        string sdp = SdpSamples.ChromiumLike.Replace("a=rtpmap:9 G722/8000", "a=rtpmap:9 G722/0");
        Assert.False(SdpOffer.TryParse(sdp, out _, out _, out string reason));
        Assert.Equal("SDP line 32: a=rtpmap:9 clock rate is not a positive number", reason);

        Assert.False(SdpOffer.TryParse(SdpSamples.ChromiumLike.Replace("a=setup:actpass\na=mid:0", "a=setup:passive\na=mid:0"), out _, out _, out reason));
        Assert.Contains("m=audio (SDP line 8)", reason);
        Assert.Contains("offer actpass or active", reason);
    }

    [Fact]
    public void OfferLargerThan64KiBIsRefused()
    {
        var sdp = new StringBuilder(SdpSamples.ChromiumLike);
        while (sdp.Length <= SdpSessionDescription.MaxBytes)
            sdp.Append("a=x-padding:0123456789012345678901234567890123456789\n");
        Assert.False(SdpOffer.TryParse(sdp.ToString(), out _, out var error, out _));
        Assert.Equal(SdpError.TooLarge, error);
        Assert.False(SdpOffer.TryParse(Encoding.UTF8.GetBytes(sdp.ToString()), out _, out error, out _));
        Assert.Equal(SdpError.TooLarge, error);
    }

    [Fact]
    public void MultiByteCharactersCountTowardsTheByteLimit()
    {
        // 30,000 three-byte characters are under 64 Ki characters but over 64 KiB.
        string sdp = SdpSamples.ChromiumLike.Replace("s=-", "s=" + new string('\u20ac', 30_000));
        Assert.False(SdpSessionDescription.TryParse(sdp, out _, out var error, out _));
        Assert.Equal(SdpError.TooLarge, error);
    }

    [Fact]
    public void LineLongerThan4KiBIsRefused()
    {
        string sdp = SdpSamples.ChromiumLike.Replace("s=-", "s=" + new string('x', SdpSessionDescription.MaxLineLength));
        Assert.False(SdpOffer.TryParse(sdp, out _, out var error, out string reason));
        Assert.Equal(SdpError.LineTooLong, error);
        Assert.StartsWith("SDP line 3:", reason);
    }

    [Fact]
    public void SixtyFourMediaSectionsAreAcceptedAndSixtyFiveRefused()
    {
        string Offer(int extra) => SdpSamples.ChromiumLike + string.Concat(
            Enumerable.Range(0, extra).Select(i => $"m=video 9 UDP/TLS/RTP/SAVPF 96\na=mid:v{i}\n"));
        Assert.True(SdpOffer.TryParse(Offer(62), out var offer, out _, out string reason), reason);
        Assert.Equal(64, offer.Description.Media.Count);
        Assert.False(SdpOffer.TryParse(Offer(63), out _, out var error, out _));
        Assert.Equal(SdpError.TooManyMediaSections, error);
    }

    [Fact]
    public void EmptyAndWhitespaceInputsAreRefused()
    {
        foreach (string text in new[] { "", "\n", "\r\n\r\n", "   " })
        {
            Assert.False(SdpOffer.TryParse(text, out _, out var error, out _));
            Assert.Equal(SdpError.MissingVersion, error);
        }
    }

    [Theory]
    [InlineData("sha-256 6a:ba:24:81:8b:be:15:b7:77:82:8f:44:75:0f:17:88:ff:75:fc:4e:f9:37:20:b2:cc:79:3f:ba:fb:2e:69:33", true)]
    [InlineData("SHA-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33", true)]
    [InlineData("sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33:", false)]
    [InlineData("sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:3", false)]
    [InlineData("sha-256 6ABA24818BBE15B777828F44750F1788FF75FC4EF93720B2CC793FBAFB2E6933", false)]
    [InlineData("sha-256 6A::BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69", false)]
    [InlineData("sha-256 +6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69", false)]
    [InlineData("sha-512 6A:BA", false)]
    [InlineData("x-hash 6A:BA", true)]
    [InlineData("sha-256", false)]
    [InlineData(" 6A:BA", false)]
    public void FingerprintHexIsParsedStrictly(string value, bool valid)
    {
        Assert.Equal(valid, SdpFingerprint.TryParse(value, out var fingerprint, out _));
        if (valid && value.StartsWith("sha-256", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Equal("sha-256", fingerprint!.Algorithm);
            Assert.Equal(SdpSamples.ChromiumLikeFingerprint, fingerprint.Digest.ToArray());
            Assert.Equal(value.ToUpperInvariant().Replace("SHA-256", "sha-256"), fingerprint.ToString());
        }
    }

    [Fact]
    public void OnlyHashFunctionsDtlsSupportsBecomeDtlsFingerprints()
    {
        byte[] certificate = Encoding.ASCII.GetBytes("not really DER, but hashed the same way");
        var computed = EdgeVoice.WebRtc.Dtls.DtlsFingerprint.Compute(EdgeVoice.WebRtc.Dtls.DtlsHashAlgorithm.Sha256, certificate);
        Assert.True(SdpFingerprint.TryParse(computed.ToString(), out var attribute, out _));
        Assert.True(attribute!.TryToDtls(out var fingerprint));
        Assert.True(fingerprint.Matches(certificate));
        certificate[0] ^= 1;
        Assert.False(fingerprint.Matches(certificate));
        Assert.True(SdpFingerprint.TryParse("x-hash 6A:BA", out var unknown, out _));
        Assert.False(unknown!.TryToDtls(out _));
    }

    [Fact]
    public void RandomInputNeverThrows()
    {
        var random = new Random(8866);
        string[] seeds = [SdpSamples.ChromiumLike, .. SdpSamples.CorpusNames().Select(SdpSamples.Corpus)];
        const string alphabet = "=:/ \r\n0123456789abcmvtsoa-+.ABCDEF";
        int parsed = 0;
        for (int i = 0; i < 3000; i++)
        {
            string text;
            if (i % 3 == 0)
            {
                byte[] bytes = new byte[random.Next(0, 400)];
                random.NextBytes(bytes);
                Assert.False(SdpOffer.TryParse(bytes, out _, out _, out _));
                text = Encoding.Latin1.GetString(bytes);
            }
            else
            {
                // Mutate a real offer: flip characters, cut it, and duplicate or drop lines.
                var chars = seeds[random.Next(seeds.Length)].ToCharArray().ToList();
                for (int m = random.Next(1, 6); m > 0 && chars.Count > 0; m--)
                {
                    int at = random.Next(chars.Count);
                    switch (random.Next(4))
                    {
                        case 0: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                        case 1: chars.RemoveRange(at, Math.Min(random.Next(1, 80), chars.Count - at)); break;
                        case 2: chars.InsertRange(at, chars.GetRange(at, Math.Min(random.Next(1, 80), chars.Count - at))); break;
                        default: chars[at] = (char)random.Next(0, 0x3000); break;
                    }
                }
                text = new string(chars.ToArray());
            }
            if (SdpOffer.TryParse(text, out var offer, out var error, out string reason))
            {
                parsed++;
                string answer = SdpAnswer.Build(offer, SdpAnswerTests.Parameters());
                Assert.True(SdpSessionDescription.TryParse(answer, out _, out _, out reason), reason);
            }
            else
            {
                Assert.NotEqual(SdpError.None, error);
                Assert.False(string.IsNullOrEmpty(reason));
            }
        }
        Assert.InRange(parsed, 100, 3000);
    }

    private static string ReplaceFirst(string text, string find, string replace)
    {
        int at = text.IndexOf(find, StringComparison.Ordinal);
        return text[..at] + replace + text[(at + find.Length)..];
    }
}
