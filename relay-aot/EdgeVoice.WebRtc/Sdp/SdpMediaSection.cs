namespace EdgeVoice.WebRtc.Sdp;

public enum SdpMediaKind
{
    Other,
    Audio,
    Video,
    Application,
}

public enum SdpDirection
{
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// <summary>DTLS role attribute (RFC 4145 §4, RFC 5763 §5).</summary>
public enum SdpSetup
{
    ActPass,
    Active,
    Passive,
    HoldConn,
}

/// <summary><c>a=rtpmap:&lt;pt&gt; &lt;name&gt;/&lt;clock rate&gt;[/&lt;channels&gt;]</c>.</summary>
public sealed record SdpRtpMap(int PayloadType, string EncodingName, int ClockRate, int Channels);

/// <summary>A codec chosen from an m= section: its rtpmap and its fmtp parameters (keys case-insensitive).</summary>
public sealed record SdpCodec(int PayloadType, string EncodingName, int ClockRate, int Channels, string FormatParameters,
    IReadOnlyDictionary<string, string> Parameters);

/// <summary><c>a=ssrc:&lt;ssrc&gt; &lt;attribute&gt;[:&lt;value&gt;]</c> (RFC 5576).</summary>
public sealed record SdpSsrcAttribute(uint Ssrc, string Name, string Value);

/// <summary><c>a=candidate</c> (RFC 8839 §5.1); the address may be an mDNS name such as <c>uuid.local</c>.</summary>
public sealed record SdpCandidate(string Foundation, int Component, string Transport, uint Priority, string Address, int Port,
    string Type, string? RelatedAddress, int? RelatedPort);

/// <summary>One m= section with the attributes the relay reads; everything else is skipped.</summary>
public sealed class SdpMediaSection
{
    internal SdpMediaSection(int lineNumber, string media, int port, string proto, string[] formats)
    {
        LineNumber = lineNumber;
        Media = media;
        Kind = media switch
        {
            "audio" => SdpMediaKind.Audio,
            "video" => SdpMediaKind.Video,
            "application" => SdpMediaKind.Application,
            _ => SdpMediaKind.Other,
        };
        Port = port;
        Proto = proto;
        Formats = formats;
    }

    /// <summary>The line of the m= line in the SDP text, for error messages.</summary>
    public int LineNumber { get; }
    /// <summary>The media token as written (echoed when the section is rejected).</summary>
    public string Media { get; }
    public SdpMediaKind Kind { get; }
    public int Port { get; }
    public string Proto { get; }
    /// <summary>The m= line's format list, in the offerer's order of preference.</summary>
    public IReadOnlyList<string> Formats { get; }

    public string? Mid { get; internal set; }
    /// <summary>The section's direction: its own attribute, else the session's, else sendrecv (RFC 3264 §5.1).</summary>
    public SdpDirection Direction { get; internal set; }
    internal bool HasDirection { get; set; }
    public bool RtcpMux { get; internal set; }
    public bool RtcpReducedSize { get; internal set; }
    public bool BundleOnly { get; internal set; }
    public string? ConnectionAddress { get; internal set; }
    public string? IceUfrag { get; internal set; }
    public string? IcePwd { get; internal set; }
    public SdpSetup? Setup { get; internal set; }
    public bool EndOfCandidates { get; internal set; }

    internal List<SdpFingerprint> FingerprintList { get; } = [];
    internal List<SdpRtpMap> RtpMapList { get; } = [];
    internal Dictionary<int, string> FormatParameterMap { get; } = [];
    internal List<SdpSsrcAttribute> SsrcList { get; } = [];
    internal List<SdpCandidate> CandidateList { get; } = [];

    public IReadOnlyList<SdpFingerprint> Fingerprints => FingerprintList;
    public IReadOnlyList<SdpRtpMap> RtpMaps => RtpMapList;
    public IReadOnlyList<SdpSsrcAttribute> Ssrcs => SsrcList;
    public IReadOnlyList<SdpCandidate> Candidates => CandidateList;

    /// <summary>Whether the offerer disabled the section (port 0 without <c>a=bundle-only</c>).</summary>
    public bool IsDisabled => Port == 0 && !BundleOnly;

    public string? FormatParameters(int payloadType) => FormatParameterMap.GetValueOrDefault(payloadType);

    /// <summary>The first format in preference order whose rtpmap matches name/clock/channels (name case-insensitive).</summary>
    public SdpCodec? FindCodec(string encodingName, int clockRate, int channels)
    {
        foreach (string format in Formats)
        {
            if (!SdpSyntax.TryParseInt(format, 127, out int payloadType))
                continue;
            foreach (var map in RtpMapList)
            {
                if (map.PayloadType == payloadType && map.ClockRate == clockRate && map.Channels == channels
                    && string.Equals(map.EncodingName, encodingName, StringComparison.OrdinalIgnoreCase))
                {
                    string fmtp = FormatParameters(payloadType) ?? "";
                    return new SdpCodec(payloadType, map.EncodingName, clockRate, channels, fmtp, ParseParameters(fmtp));
                }
            }
        }
        return null;
    }

    /// <summary>Splits <c>k=v;k2=v2</c> (fmtp) into a dictionary; a bare name maps to an empty string.</summary>
    private static Dictionary<string, string> ParseParameters(string fmtp)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var range in fmtp.AsSpan().Split(';'))
        {
            var item = fmtp.AsSpan()[range].Trim(' ');
            if (item.IsEmpty)
                continue;
            int equals = item.IndexOf('=');
            string name = (equals < 0 ? item : item[..equals]).Trim(' ').ToString();
            string value = equals < 0 ? "" : item[(equals + 1)..].Trim(' ').ToString();
            parameters.TryAdd(name, value);
        }
        return parameters;
    }
}
