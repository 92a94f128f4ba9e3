using EdgeVoice.WebRtc.Dtls;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeVoice.WebRtc.Sdp;

/// <summary>What the relay puts in its answer for one session.</summary>
public sealed record SdpAnswerParameters
{
    /// <summary>The relay's ICE ufrag for this session (the steering token).</summary>
    public required string IceUfrag { get; init; }
    public required string IcePwd { get; init; }
    /// <summary>The relay's DTLS certificate fingerprint (sha-256).</summary>
    public required DtlsFingerprint Fingerprint { get; init; }
    /// <summary>The address and port clients reach the relay's UDP socket at: the single host candidate.</summary>
    public required IPAddress PublicAddress { get; init; }
    public required int PublicPort { get; init; }
    /// <summary>SSRC of the relay's outbound (agent speech) stream.</summary>
    public required uint Ssrc { get; init; }
    public required string Cname { get; init; }
    public string StreamId { get; init; } = "edgevoice";
    public string TrackId { get; init; } = "agent-audio";
    public ulong SessionId { get; init; }
    public ulong SessionVersion { get; init; } = 1;
}

/// <summary>
/// Builds the relay's ICE-lite answer: the offer's first usable audio section accepted with Opus, every other m= section
/// rejected with port 0 and left out of BUNDLE (RFC 3264 §6, RFC 8843 §7.3.3).
/// </summary>
public static class SdpAnswer
{
    /// <summary>Host candidate priority: type preference 126, local preference 65535, component 1 (RFC 8445 §5.1.2.1).</summary>
    public const uint HostCandidatePriority = 2130706431;

    public static string Build(SdpOffer offer, SdpAnswerParameters p)
    {
        ArgumentNullException.ThrowIfNull(offer);
        Validate(p);
        string family = p.PublicAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "IP6" : "IP4";
        string address = p.PublicAddress.IsIPv4MappedToIPv6 ? p.PublicAddress.MapToIPv4().ToString() : p.PublicAddress.ToString();
        if (p.PublicAddress.IsIPv4MappedToIPv6)
            family = "IP4";
        string anyAddress = family == "IP6" ? "::" : "0.0.0.0";
        var audio = offer.Audio;
        int pt = offer.Opus.PayloadType;
        var direction = Answer(audio.Direction);
        bool sending = direction is SdpDirection.SendRecv or SdpDirection.SendOnly;

        var sdp = new StringBuilder(1024);
        Line(sdp, $"v=0");
        Line(sdp, $"o=- {p.SessionId} {p.SessionVersion} IN {family} {address}");
        Line(sdp, $"s=-");
        Line(sdp, $"t=0 0");
        Line(sdp, $"a=ice-lite");
        // Transport attributes also at session level: some stacks (aiortc 1.4) demand them on every m= section, rejected ones too.
        Line(sdp, $"a=ice-ufrag:{p.IceUfrag}");
        Line(sdp, $"a=ice-pwd:{p.IcePwd}");
        Line(sdp, $"a=fingerprint:{p.Fingerprint}");
        Line(sdp, $"a=setup:passive");
        if (offer.BundleGroup.Count > 0 && audio.Mid is not null)
            Line(sdp, $"a=group:BUNDLE {audio.Mid}");
        if (sending)
            Line(sdp, $"a=msid-semantic:WMS {p.StreamId}");

        for (int i = 0; i < offer.Description.Media.Count; i++)
        {
            var section = offer.Description.Media[i];
            if (i != offer.AudioIndex)
            {
                Line(sdp, $"m={section.Media} 0 {section.Proto} {section.Formats[0]}");
                Line(sdp, $"c=IN {family} {anyAddress}");
                if (section.Mid is not null)
                    Line(sdp, $"a=mid:{section.Mid}");
                if (section.Kind is SdpMediaKind.Audio or SdpMediaKind.Video)
                {
                    Line(sdp, $"a=inactive");
                    Line(sdp, $"a=rtcp-mux");
                }
                continue;
            }
            Line(sdp, $"m=audio {p.PublicPort} {SdpOffer.SecureRtpProfile} {pt}");
            Line(sdp, $"c=IN {family} {address}");
            if (audio.Mid is not null)
                Line(sdp, $"a=mid:{audio.Mid}");
            Line(sdp, $"a={DirectionName(direction)}");
            Line(sdp, $"a=rtcp-mux");
            Line(sdp, $"a=rtpmap:{pt} opus/48000/2");
            Line(sdp, $"a=fmtp:{pt} minptime=10;useinbandfec=1");
            Line(sdp, $"a=ice-ufrag:{p.IceUfrag}");
            Line(sdp, $"a=ice-pwd:{p.IcePwd}");
            Line(sdp, $"a=fingerprint:{p.Fingerprint}");
            Line(sdp, $"a=setup:passive");
            if (sending)
            {
                Line(sdp, $"a=msid:{p.StreamId} {p.TrackId}");
                Line(sdp, $"a=ssrc:{p.Ssrc} cname:{p.Cname}");
                Line(sdp, $"a=ssrc:{p.Ssrc} msid:{p.StreamId} {p.TrackId}");
            }
            Line(sdp, $"a=candidate:1 1 udp {HostCandidatePriority} {address} {p.PublicPort} typ host");
            Line(sdp, $"a=end-of-candidates");
        }
        return sdp.ToString();
    }

    /// <summary>The answer's direction mirrors the offer's (RFC 3264 §6.1): the relay both sends and receives when allowed.</summary>
    public static SdpDirection Answer(SdpDirection offered) => offered switch
    {
        SdpDirection.SendOnly => SdpDirection.RecvOnly,
        SdpDirection.RecvOnly => SdpDirection.SendOnly,
        SdpDirection.Inactive => SdpDirection.Inactive,
        _ => SdpDirection.SendRecv,
    };

    private static string DirectionName(SdpDirection direction) => direction switch
    {
        SdpDirection.SendOnly => "sendonly",
        SdpDirection.RecvOnly => "recvonly",
        SdpDirection.Inactive => "inactive",
        _ => "sendrecv",
    };

    private static void Validate(SdpAnswerParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.IceUfrag.Length is < 4 or > 256 || !SdpSyntax.IsIceChars(p.IceUfrag))
            throw new ArgumentException("IceUfrag must be 4-256 ice-chars (RFC 8839)", nameof(p));
        if (p.IcePwd.Length is < 22 or > 256 || !SdpSyntax.IsIceChars(p.IcePwd))
            throw new ArgumentException("IcePwd must be 22-256 ice-chars (RFC 8839)", nameof(p));
        if (p.Fingerprint.IsEmpty || p.Fingerprint.Algorithm != DtlsHashAlgorithm.Sha256)
            throw new ArgumentException("the relay's fingerprint must be sha-256", nameof(p));
        if (p.PublicPort is < 1 or > 65535)
            throw new ArgumentException("PublicPort must be 1-65535", nameof(p));
        if (p.PublicAddress.AddressFamily == AddressFamily.InterNetworkV6 ? p.PublicAddress.ScopeId != 0
                : p.PublicAddress.AddressFamily != AddressFamily.InterNetwork)
            throw new ArgumentException("PublicAddress must be an IPv4 address or an IPv6 address without a scope", nameof(p));
        if (!SdpSyntax.IsToken(p.Cname) || !SdpSyntax.IsToken(p.StreamId) || !SdpSyntax.IsToken(p.TrackId))
            throw new ArgumentException("Cname, StreamId and TrackId must be SDP tokens", nameof(p));
    }

    private static void Line(StringBuilder sdp, FormattableString line) =>
        sdp.Append(line.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
}
