namespace EdgeVoice.WebRtc.Tests.Sdp;

/// <summary>Offers for the SDP tests: a hand-written Chromium-style offer plus the real offers kept in tests/corpus/sdp/.</summary>
internal static class SdpSamples
{
    /// <summary>
    /// Chromium-style offer written by hand: BUNDLE, Opus 111 with red/G722/PCMU/PCMA/CN/telephone-event, an mDNS host
    /// candidate and a server-reflexive one, a data channel section; LF line ends to exercise the tolerant reader.
    /// </summary>
    public const string ChromiumLike = """
        v=0
        o=- 4611731400430051336 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=extmap-allow-mixed
        a=msid-semantic: WMS 5d1f4e0c-2b7e-4c57-8b0e-7c1d1a1b2c3d
        m=audio 54321 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
        c=IN IP4 203.0.113.7
        a=rtcp:9 IN IP4 0.0.0.0
        a=candidate:4121935662 1 udp 2113937151 727ca5be-1fe5-4349-9d53-d5acf6c80d0e.local 54321 typ host generation 0 network-cost 999
        a=candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999
        a=ice-ufrag:tRNH
        a=ice-pwd:2o1V7DML3+dlfUP3KgDvxGcb
        a=ice-options:trickle
        a=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33
        a=setup:actpass
        a=mid:0
        a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
        a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
        a=sendrecv
        a=msid:5d1f4e0c-2b7e-4c57-8b0e-7c1d1a1b2c3d f881aab8-8e4d-470c-8b5c-165b0eba6771
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:111 opus/48000/2
        a=rtcp-fb:111 transport-cc
        a=fmtp:111 minptime=10;useinbandfec=1
        a=rtpmap:63 red/48000/2
        a=fmtp:63 111/111
        a=rtpmap:9 G722/8000
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:13 CN/8000
        a=rtpmap:110 telephone-event/48000
        a=rtpmap:126 telephone-event/8000
        a=ssrc:1853378982 cname:nHdn+Zf1TT2bGW+L
        a=ssrc:1853378982 msid:5d1f4e0c-2b7e-4c57-8b0e-7c1d1a1b2c3d f881aab8-8e4d-470c-8b5c-165b0eba6771
        m=application 54321 UDP/DTLS/SCTP webrtc-datachannel
        c=IN IP4 203.0.113.7
        a=candidate:4121935662 1 udp 2113937151 727ca5be-1fe5-4349-9d53-d5acf6c80d0e.local 54321 typ host generation 0 network-cost 999
        a=ice-ufrag:tRNH
        a=ice-pwd:2o1V7DML3+dlfUP3KgDvxGcb
        a=ice-options:trickle
        a=fingerprint:sha-256 6A:BA:24:81:8B:BE:15:B7:77:82:8F:44:75:0F:17:88:FF:75:FC:4E:F9:37:20:B2:CC:79:3F:BA:FB:2E:69:33
        a=setup:actpass
        a=mid:1
        a=sctp-port:5000
        a=max-message-size:262144

        """;

    public static readonly byte[] ChromiumLikeFingerprint = Convert.FromHexString(
        "6ABA24818BBE15B777828F44750F1788FF75FC4EF93720B2CC793FBAFB2E6933");

    public static string CorpusDirectory => Path.Combine(AppContext.BaseDirectory, "corpus", "sdp");

    public static string Corpus(string name) => File.ReadAllText(Path.Combine(CorpusDirectory, name));

    public static IEnumerable<string> CorpusNames() =>
        Directory.EnumerateFiles(CorpusDirectory, "*.sdp").Select(Path.GetFileName).Order()!;
}
