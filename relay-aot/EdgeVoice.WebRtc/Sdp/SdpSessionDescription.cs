using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace EdgeVoice.WebRtc.Sdp;

/// <summary>
/// An SDP text (RFC 8866) read tolerantly (CRLF or LF, blank lines, unknown lines and attributes skipped) and within
/// fixed bounds, keeping what WebRTC transport setup needs. Offer-specific checks live in <see cref="SdpOffer"/>.
/// </summary>
public sealed class SdpSessionDescription
{
    public const int MaxBytes = 64 * 1024;
    public const int MaxLineLength = 4 * 1024;
    public const int MaxMediaSections = 64;

    private SdpSessionDescription() { }

    public string? IceUfrag { get; private set; }
    public string? IcePwd { get; private set; }
    public SdpSetup? Setup { get; private set; }
    public bool IceLite { get; private set; }
    public IReadOnlyList<SdpFingerprint> Fingerprints => _fingerprints;
    /// <summary>Each <c>a=group:BUNDLE</c> as its list of mids; the first mid is the offerer-tagged section (RFC 8843).</summary>
    public IReadOnlyList<IReadOnlyList<string>> BundleGroups => _bundleGroups;
    public IReadOnlyList<SdpMediaSection> Media => _media;

    private readonly List<SdpFingerprint> _fingerprints = [];
    private readonly List<IReadOnlyList<string>> _bundleGroups = [];
    private readonly List<SdpMediaSection> _media = [];
    private SdpDirection? _sessionDirection;

    /// <summary>The BUNDLE group that lists <paramref name="mid"/>, or null.</summary>
    public IReadOnlyList<string>? BundleGroupOf(string? mid)
    {
        if (mid is null)
            return null;
        foreach (var group in _bundleGroups)
        {
            if (group.Contains(mid))
                return group;
        }
        return null;
    }

    public SdpMediaSection? FindByMid(string mid)
    {
        foreach (var section in _media)
        {
            if (section.Mid == mid)
                return section;
        }
        return null;
    }

    /// <summary>Decodes strict UTF-8 (the HTTP body) and parses it; the size bound is checked before decoding.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out SdpSessionDescription? description,
        out SdpError error, out string reason)
    {
        description = null;
        if (utf8.Length > MaxBytes)
            return Refuse(SdpError.TooLarge, $"the SDP is {utf8.Length} bytes; at most {MaxBytes} are accepted", out error, out reason);
        string text;
        try
        {
            text = Strict.GetString(utf8);
        }
        catch (DecoderFallbackException)
        {
            return Refuse(SdpError.InvalidEncoding, "the SDP is not valid UTF-8", out error, out reason);
        }
        return TryParse(text, out description, out error, out reason);
    }

    public static bool TryParse(string sdp, [NotNullWhen(true)] out SdpSessionDescription? description,
        out SdpError error, out string reason)
    {
        description = null;
        if (sdp is null)
            return Refuse(SdpError.MissingVersion, "the SDP is empty", out error, out reason);
        // A char is at least one UTF-8 byte, so the length check bounds the byte count before counting it.
        if (sdp.Length > MaxBytes || Encoding.UTF8.GetByteCount(sdp) > MaxBytes)
            return Refuse(SdpError.TooLarge, $"the SDP is larger than {MaxBytes} bytes", out error, out reason);
        var reader = new Reader(new SdpSessionDescription());
        if (!reader.Read(sdp))
        {
            error = reader.Error;
            reason = reader.Reason;
            return false;
        }
        description = reader.Description;
        error = SdpError.None;
        reason = "";
        return true;
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static bool Refuse(SdpError value, string text, out SdpError error, out string reason)
    {
        error = value;
        reason = text;
        return false;
    }

    /// <summary>Walks the lines once, filling the description; stops at the first problem with its line number.</summary>
    private sealed class Reader(SdpSessionDescription description)
    {
        public SdpSessionDescription Description { get; } = description;
        public SdpError Error { get; private set; }
        public string Reason { get; private set; } = "";

        private int _line;
        private bool _sawVersion;
        private SdpMediaSection? _section;

        public bool Read(string sdp)
        {
            int position = 0;
            while (position < sdp.Length)
            {
                int newline = sdp.IndexOf('\n', position);
                int end = newline < 0 ? sdp.Length : newline;
                var line = sdp.AsSpan(position, end - position);
                position = end + 1;
                _line++;
                if (line.Length > MaxLineLength)
                    return Fail(SdpError.LineTooLong, $"the line is {line.Length} characters; at most {MaxLineLength} are accepted");
                line = line.TrimEnd("\r \t");
                if (line.IsEmpty)
                    continue;
                if (line.Length < 2 || line[1] != '=' || !char.IsAsciiLetterLower(line[0]))
                    return Fail(SdpError.MalformedLine, $"{SdpSyntax.Quote(line)} is not an SDP line '<letter>=<value>'");
                char type = line[0];
                var value = line[2..];
                if (!_sawVersion)
                {
                    if (type != 'v' || !value.SequenceEqual("0"))
                        return Fail(SdpError.MissingVersion, "an SDP starts with the line v=0");
                    _sawVersion = true;
                    continue;
                }
                bool ok = type switch
                {
                    'm' => ReadMediaLine(value),
                    'c' => ReadConnection(value),
                    'a' => ReadAttribute(value),
                    _ => true,
                };
                if (!ok)
                    return false;
            }
            if (!_sawVersion)
                return Fail(SdpError.MissingVersion, "the SDP is empty; it must start with v=0");
            Finish();
            return true;
        }

        private void Finish()
        {
            foreach (var section in Description._media)
            {
                if (!section.HasDirection)
                    section.Direction = Description._sessionDirection ?? SdpDirection.SendRecv;
            }
        }

        private bool ReadMediaLine(ReadOnlySpan<char> value)
        {
            if (Description._media.Count == MaxMediaSections)
                return Fail(SdpError.TooManyMediaSections, $"the SDP has more than {MaxMediaSections} m= sections");
            var fields = new List<string>();
            foreach (var range in value.Split(' '))
            {
                if (!value[range].IsEmpty)
                    fields.Add(value[range].ToString());
            }
            if (fields.Count < 4)
                return Fail(SdpError.MalformedMediaLine, "m= needs '<media> <port> <proto> <format> ...'");
            if (!SdpSyntax.IsToken(fields[0]))
                return Fail(SdpError.MalformedMediaLine, $"m= media {SdpSyntax.Quote(fields[0])} is not a token");
            var portField = fields[1].AsSpan();
            int slash = portField.IndexOf('/');
            if (slash >= 0)
            {
                if (!SdpSyntax.TryParseInt(portField[(slash + 1)..], 65535, out _))
                    return Fail(SdpError.MalformedMediaLine, $"m= port count in {SdpSyntax.Quote(portField)} is not a number");
                portField = portField[..slash];
            }
            if (!SdpSyntax.TryParseInt(portField, 65535, out int port))
                return Fail(SdpError.MalformedMediaLine, $"m= port {SdpSyntax.Quote(fields[1])} is not a port (0-65535)");
            if (!SdpSyntax.IsProto(fields[2]))
                return Fail(SdpError.MalformedMediaLine, $"m= proto {SdpSyntax.Quote(fields[2])} is not a token list");
            for (int i = 3; i < fields.Count; i++)
            {
                if (!SdpSyntax.IsToken(fields[i]))
                    return Fail(SdpError.MalformedMediaLine, $"m= format {SdpSyntax.Quote(fields[i])} is not a token");
            }
            _section = new SdpMediaSection(_line, fields[0], port, fields[2], fields[3..].ToArray());
            Description._media.Add(_section);
            return true;
        }

        private bool ReadConnection(ReadOnlySpan<char> value)
        {
            // c=IN IP4 <address>: kept for information only; ICE candidates and STUN decide where media flows.
            if (_section is not null)
            {
                int last = value.LastIndexOf(' ');
                _section.ConnectionAddress = value[(last + 1)..].ToString();
            }
            return true;
        }

        private bool ReadAttribute(ReadOnlySpan<char> attribute)
        {
            int colon = attribute.IndexOf(':');
            var name = colon < 0 ? attribute : attribute[..colon];
            var value = colon < 0 ? ReadOnlySpan<char>.Empty : attribute[(colon + 1)..];
            var section = _section;
            switch (name)
            {
                case "ice-ufrag":
                    return ReadIceCredential(value, "ice-ufrag", 4, section is null ? Description.IceUfrag : section.IceUfrag,
                        text => { if (section is null) Description.IceUfrag = text; else section.IceUfrag = text; });
                case "ice-pwd":
                    return ReadIceCredential(value, "ice-pwd", 22, section is null ? Description.IcePwd : section.IcePwd,
                        text => { if (section is null) Description.IcePwd = text; else section.IcePwd = text; });
                case "fingerprint":
                    if (!SdpFingerprint.TryParse(value, out var fingerprint, out string why))
                        return Fail(SdpError.MalformedFingerprint, why);
                    (section?.FingerprintList ?? Description._fingerprints).Add(fingerprint!);
                    return true;
                case "setup":
                    return ReadSetup(value, section);
                case "ice-lite":
                    Description.IceLite = true;
                    return true;
                case "group":
                    return ReadGroup(value);
                case "sendrecv" or "sendonly" or "recvonly" or "inactive":
                    return ReadDirection(name);
            }
            if (section is null)
                return true;
            switch (name)
            {
                case "mid":
                    return ReadMid(value, section);
                case "rtcp-mux":
                    section.RtcpMux = true;
                    return true;
                case "rtcp-rsize":
                    section.RtcpReducedSize = true;
                    return true;
                case "bundle-only":
                    section.BundleOnly = true;
                    return true;
                case "end-of-candidates":
                    section.EndOfCandidates = true;
                    return true;
                case "rtpmap":
                    return ReadRtpMap(value, section);
                case "fmtp":
                    return ReadFormatParameters(value, section);
                case "ssrc":
                    return ReadSsrc(value, section);
                case "candidate":
                    return ReadCandidate(value, section);
                default:
                    return true;
            }
        }

        private bool ReadIceCredential(ReadOnlySpan<char> value, string name, int minLength, string? existing, Action<string> store)
        {
            if (existing is not null)
                return Fail(SdpError.DuplicateAttribute, $"a={name} appears twice in the same section");
            if (value.Length < minLength || value.Length > 256 || !SdpSyntax.IsIceChars(value))
                return Fail(SdpError.MalformedIceCredentials, $"a={name} must be {minLength}-256 characters of A-Z a-z 0-9 + / (RFC 8839)");
            store(value.ToString());
            return true;
        }

        private bool ReadSetup(ReadOnlySpan<char> value, SdpMediaSection? section)
        {
            SdpSetup? role = value switch
            {
                "actpass" => SdpSetup.ActPass,
                "active" => SdpSetup.Active,
                "passive" => SdpSetup.Passive,
                "holdconn" => SdpSetup.HoldConn,
                _ => null,
            };
            if (role is null)
                return Fail(SdpError.MalformedAttribute, $"a=setup:{SdpSyntax.Quote(value)} is not actpass, active, passive or holdconn");
            if ((section is null ? Description.Setup : section.Setup) is not null)
                return Fail(SdpError.DuplicateAttribute, "a=setup appears twice in the same section");
            if (section is null)
                Description.Setup = role;
            else
                section.Setup = role;
            return true;
        }

        private bool ReadGroup(ReadOnlySpan<char> value)
        {
            var mids = new List<string>();
            bool first = true;
            bool bundle = false;
            foreach (var range in value.Split(' '))
            {
                var token = value[range];
                if (token.IsEmpty)
                    continue;
                if (first)
                {
                    bundle = token.SequenceEqual("BUNDLE");
                    first = false;
                    continue;
                }
                if (!IsMid(token))
                    return Fail(SdpError.MalformedAttribute, $"a=group mid {SdpSyntax.Quote(token)} is not a 1-32 character token");
                mids.Add(token.ToString());
            }
            if (bundle)
                Description._bundleGroups.Add(mids);
            return true;
        }

        private bool ReadDirection(ReadOnlySpan<char> name)
        {
            var direction = name switch
            {
                "sendonly" => SdpDirection.SendOnly,
                "recvonly" => SdpDirection.RecvOnly,
                "inactive" => SdpDirection.Inactive,
                _ => SdpDirection.SendRecv,
            };
            if (_section is null)
            {
                if (Description._sessionDirection is not null)
                    return Fail(SdpError.DuplicateAttribute, "two direction attributes at session level");
                Description._sessionDirection = direction;
                return true;
            }
            if (_section.HasDirection)
                return Fail(SdpError.DuplicateAttribute, "two direction attributes in the same m= section");
            _section.Direction = direction;
            _section.HasDirection = true;
            return true;
        }

        private bool ReadMid(ReadOnlySpan<char> value, SdpMediaSection section)
        {
            if (!IsMid(value))
                return Fail(SdpError.MalformedAttribute, $"a=mid:{SdpSyntax.Quote(value)} is not a 1-32 character token");
            if (section.Mid is not null)
                return Fail(SdpError.DuplicateAttribute, "a=mid appears twice in the same m= section");
            string mid = value.ToString();
            if (Description.FindByMid(mid) is not null)
                return Fail(SdpError.DuplicateMid, $"a=mid:{mid} names two m= sections");
            section.Mid = mid;
            return true;
        }

        private bool ReadRtpMap(ReadOnlySpan<char> value, SdpMediaSection section)
        {
            int space = value.IndexOf(' ');
            if (space < 0 || !SdpSyntax.TryParseInt(value[..space], 127, out int payloadType))
                return Fail(SdpError.MalformedAttribute, "a=rtpmap needs '<payload type 0-127> <name>/<clock rate>[/<channels>]'");
            var encoding = value[(space + 1)..].Trim(' ');
            Span<Range> parts = stackalloc Range[4];
            int count = encoding.Split(parts, '/');
            if (count is < 2 or > 3 || !SdpSyntax.IsToken(encoding[parts[0]]))
                return Fail(SdpError.MalformedAttribute, $"a=rtpmap:{payloadType} encoding {SdpSyntax.Quote(encoding)} is not '<name>/<clock rate>[/<channels>]'");
            if (!SdpSyntax.TryParseInt(encoding[parts[1]], 10_000_000, out int clockRate) || clockRate == 0)
                return Fail(SdpError.MalformedAttribute, $"a=rtpmap:{payloadType} clock rate is not a positive number");
            int channels = 1;
            if (count == 3 && (!SdpSyntax.TryParseInt(encoding[parts[2]], 255, out channels) || channels == 0))
                return Fail(SdpError.MalformedAttribute, $"a=rtpmap:{payloadType} channel count is not 1-255");
            foreach (var existing in section.RtpMapList)
            {
                if (existing.PayloadType == payloadType)
                    return Fail(SdpError.DuplicateAttribute, $"a=rtpmap:{payloadType} appears twice");
            }
            section.RtpMapList.Add(new SdpRtpMap(payloadType, encoding[parts[0]].ToString(), clockRate, channels));
            return true;
        }

        private bool ReadFormatParameters(ReadOnlySpan<char> value, SdpMediaSection section)
        {
            int space = value.IndexOf(' ');
            var format = space < 0 ? value : value[..space];
            // Non-RTP formats (e.g. an SCTP port) may carry fmtp too; only RTP payload types are kept.
            if (!SdpSyntax.TryParseInt(format, 127, out int payloadType))
                return true;
            if (!section.FormatParameterMap.TryAdd(payloadType, space < 0 ? "" : value[(space + 1)..].Trim(' ').ToString()))
                return Fail(SdpError.DuplicateAttribute, $"a=fmtp:{payloadType} appears twice");
            return true;
        }

        private bool ReadSsrc(ReadOnlySpan<char> value, SdpMediaSection section)
        {
            int space = value.IndexOf(' ');
            if (space < 0 || !SdpSyntax.TryParseNumber(value[..space], uint.MaxValue, out ulong ssrc))
                return Fail(SdpError.MalformedAttribute, "a=ssrc needs '<ssrc 0-4294967295> <attribute>[:<value>]'");
            var rest = value[(space + 1)..];
            int colon = rest.IndexOf(':');
            var name = colon < 0 ? rest : rest[..colon];
            if (!SdpSyntax.IsToken(name))
                return Fail(SdpError.MalformedAttribute, $"a=ssrc:{ssrc} attribute {SdpSyntax.Quote(name)} is not a token");
            section.SsrcList.Add(new SdpSsrcAttribute((uint)ssrc, name.ToString(), colon < 0 ? "" : rest[(colon + 1)..].ToString()));
            return true;
        }

        private bool ReadCandidate(ReadOnlySpan<char> value, SdpMediaSection section)
        {
            Span<Range> ranges = stackalloc Range[32];
            int count = value.Split(ranges, ' ', StringSplitOptions.RemoveEmptyEntries);
            if (count < 8 || !value[ranges[6]].SequenceEqual("typ"))
                return Fail(SdpError.MalformedCandidate, "a=candidate needs '<foundation> <component> <transport> <priority> <address> <port> typ <type>'");
            var foundation = value[ranges[0]];
            if (foundation.Length > 32 || !SdpSyntax.IsIceChars(foundation))
                return Fail(SdpError.MalformedCandidate, "a=candidate foundation must be 1-32 characters of A-Z a-z 0-9 + /");
            if (!SdpSyntax.TryParseInt(value[ranges[1]], 256, out int component) || component == 0)
                return Fail(SdpError.MalformedCandidate, "a=candidate component is not 1-256");
            var transport = value[ranges[2]];
            if (!SdpSyntax.IsToken(transport))
                return Fail(SdpError.MalformedCandidate, "a=candidate transport is not a token");
            if (!SdpSyntax.TryParseNumber(value[ranges[3]], uint.MaxValue, out ulong priority) || priority == 0)
                return Fail(SdpError.MalformedCandidate, "a=candidate priority is not 1-4294967295");
            var address = value[ranges[4]];
            if (address.Length > 255 || !IsAddress(address))
                return Fail(SdpError.MalformedCandidate, $"a=candidate address {SdpSyntax.Quote(address)} is not an IP address or host name");
            if (!SdpSyntax.TryParseInt(value[ranges[5]], 65535, out int port))
                return Fail(SdpError.MalformedCandidate, "a=candidate port is not 0-65535");
            var type = value[ranges[7]];
            if (!SdpSyntax.IsToken(type))
                return Fail(SdpError.MalformedCandidate, "a=candidate type is not a token");
            string? relatedAddress = null;
            int? relatedPort = null;
            for (int i = 8; i + 1 < count; i += 2)
            {
                var key = value[ranges[i]];
                var extension = value[ranges[i + 1]];
                if (key.SequenceEqual("raddr"))
                {
                    if (extension.Length > 255 || !IsAddress(extension))
                        return Fail(SdpError.MalformedCandidate, "a=candidate raddr is not an address");
                    relatedAddress = extension.ToString();
                }
                else if (key.SequenceEqual("rport"))
                {
                    if (!SdpSyntax.TryParseInt(extension, 65535, out int rport))
                        return Fail(SdpError.MalformedCandidate, "a=candidate rport is not 0-65535");
                    relatedPort = rport;
                }
            }
            section.CandidateList.Add(new SdpCandidate(foundation.ToString(), component, transport.ToString().ToLowerInvariant(),
                (uint)priority, address.ToString(), port, type.ToString(), relatedAddress, relatedPort));
            return true;
        }

        /// <summary>An IPv4/IPv6 literal or a DNS/mDNS name: letters, digits and <c>. - : _ %</c>.</summary>
        private static bool IsAddress(ReadOnlySpan<char> address)
        {
            if (address.IsEmpty)
                return false;
            foreach (char c in address)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '_' or '%'))
                    return false;
            }
            return true;
        }

        private static bool IsMid(ReadOnlySpan<char> value) => value.Length <= 32 && SdpSyntax.IsToken(value);

        private bool Fail(SdpError error, string reason)
        {
            Error = error;
            Reason = $"SDP line {_line}: {reason}";
            return false;
        }
    }
}
