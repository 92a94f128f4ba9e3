using EdgeVoice.WebRtc.Dtls;
using System.Diagnostics.CodeAnalysis;

namespace EdgeVoice.WebRtc.Sdp;

/// <summary>
/// A browser's offer, checked for what the relay needs: one audio section with Opus over DTLS-SRTP (UDP/TLS/RTP/SAVPF),
/// rtcp-mux, ICE credentials, a usable certificate fingerprint, and a DTLS role that leaves the relay passive.
/// </summary>
public sealed class SdpOffer
{
    public const string SecureRtpProfile = "UDP/TLS/RTP/SAVPF";

    private SdpOffer(SdpSessionDescription description, int audioIndex, string iceUfrag, string icePwd,
        IReadOnlyList<SdpFingerprint> fingerprints, DtlsFingerprint fingerprint, SdpSetup setup, SdpCodec opus,
        IReadOnlyList<string> bundleGroup)
    {
        Description = description;
        AudioIndex = audioIndex;
        IceUfrag = iceUfrag;
        IcePwd = icePwd;
        Fingerprints = fingerprints;
        Fingerprint = fingerprint;
        Setup = setup;
        Opus = opus;
        BundleGroup = bundleGroup;
    }

    public SdpSessionDescription Description { get; }
    /// <summary>Index in <see cref="SdpSessionDescription.Media"/> of the audio section the relay accepts.</summary>
    public int AudioIndex { get; }
    public SdpMediaSection Audio => Description.Media[AudioIndex];
    /// <summary>The client's ICE credentials for the audio transport (media level overrides session level).</summary>
    public string IceUfrag { get; }
    public string IcePwd { get; }
    /// <summary>All fingerprints offered for the audio transport.</summary>
    public IReadOnlyList<SdpFingerprint> Fingerprints { get; }
    /// <summary>The fingerprint the DTLS handshake must match: SHA-256 when offered, else the strongest supported.</summary>
    public DtlsFingerprint Fingerprint { get; }
    /// <summary>The offerer's DTLS role: ActPass or Active (a missing a=setup means active, RFC 4145 §4).</summary>
    public SdpSetup Setup { get; }
    public SdpCodec Opus { get; }
    /// <summary>The offer's BUNDLE group holding the audio mid (empty when the audio section is not bundled).</summary>
    public IReadOnlyList<string> BundleGroup { get; }
    public IReadOnlyList<SdpCandidate> Candidates => Audio.Candidates;
    /// <summary>The SSRC the client announced for its audio (first a=ssrc of the section), or null when it announced none.</summary>
    public uint? AudioSsrc => Audio.Ssrcs.Count > 0 ? Audio.Ssrcs[0].Ssrc : null;

    public static bool TryParse(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out SdpOffer? offer, out SdpError error, out string reason)
    {
        offer = null;
        return SdpSessionDescription.TryParse(utf8, out var description, out error, out reason)
            && TryAccept(description, out offer, out error, out reason);
    }

    public static bool TryParse(string sdp, [NotNullWhen(true)] out SdpOffer? offer, out SdpError error, out string reason)
    {
        offer = null;
        return SdpSessionDescription.TryParse(sdp, out var description, out error, out reason)
            && TryAccept(description, out offer, out error, out reason);
    }

    private static bool TryAccept(SdpSessionDescription description, out SdpOffer? offer, out SdpError error, out string reason)
    {
        offer = null;
        int audioIndex = -1;
        bool anyAudio = false;
        for (int i = 0; i < description.Media.Count; i++)
        {
            var candidate = description.Media[i];
            if (candidate.Kind != SdpMediaKind.Audio)
                continue;
            anyAudio = true;
            if (!candidate.IsDisabled)
            {
                audioIndex = i;
                break;
            }
        }
        if (audioIndex < 0)
        {
            return SdpSessionDescription.Refuse(SdpError.NoAudioSection, anyAudio
                ? "every m=audio section is disabled (port 0); the relay needs one audio section"
                : "the offer has no m=audio section; the relay carries audio (add an audio transceiver)", out error, out reason);
        }
        var audio = description.Media[audioIndex];
        string where = $"m=audio (SDP line {audio.LineNumber})";
        if (!string.Equals(audio.Proto, SecureRtpProfile, StringComparison.OrdinalIgnoreCase))
            return SdpSessionDescription.Refuse(SdpError.UnsupportedProtocol,
                $"{where} uses {SdpSyntax.Quote(audio.Proto)}; the relay needs {SecureRtpProfile} (DTLS-SRTP)", out error, out reason);
        if (!audio.RtcpMux)
            return SdpSessionDescription.Refuse(SdpError.RtcpMuxRequired,
                $"{where} has no a=rtcp-mux; the relay carries RTP and RTCP on one port", out error, out reason);
        var opus = audio.FindCodec("opus", 48000, 2);
        if (opus is null)
        {
            var offered = string.Join(", ", audio.RtpMaps.Select(m => $"{m.EncodingName}/{m.ClockRate}"));
            return SdpSessionDescription.Refuse(SdpError.NoOpus,
                $"{where} offers no opus/48000/2 (offered: {(offered.Length == 0 ? "none" : SdpSyntax.Quote(offered))})", out error, out reason);
        }

        // Transport attributes: the section's own, else session level, else the BUNDLE-tagged section's (RFC 8843 §7.1).
        var bundleGroup = description.BundleGroupOf(audio.Mid);
        var tagged = bundleGroup is { Count: > 0 } ? description.FindByMid(bundleGroup[0]) : null;
        string? ufrag = audio.IceUfrag ?? description.IceUfrag ?? tagged?.IceUfrag;
        string? pwd = audio.IcePwd ?? description.IcePwd ?? tagged?.IcePwd;
        if (ufrag is null || pwd is null)
            return SdpSessionDescription.Refuse(SdpError.MissingIceCredentials,
                $"{where} has no a=ice-ufrag and a=ice-pwd (neither at media nor at session level)", out error, out reason);

        IReadOnlyList<SdpFingerprint> fingerprints = audio.Fingerprints.Count > 0 ? audio.Fingerprints
            : description.Fingerprints.Count > 0 ? description.Fingerprints
            : tagged?.Fingerprints ?? [];
        if (fingerprints.Count == 0)
            return SdpSessionDescription.Refuse(SdpError.MissingFingerprint,
                $"{where} has no a=fingerprint; DTLS-SRTP needs the offerer's certificate fingerprint", out error, out reason);
        DtlsFingerprint chosen = default;
        foreach (string algorithm in (ReadOnlySpan<string>)["sha-256", "sha-384", "sha-512"])
        {
            if (fingerprints.FirstOrDefault(f => f.Algorithm == algorithm) is { } candidate && candidate.TryToDtls(out chosen))
                break;
        }
        if (chosen.IsEmpty)
        {
            var algorithms = string.Join(", ", fingerprints.Select(f => f.Algorithm));
            return SdpSessionDescription.Refuse(SdpError.UnsupportedFingerprintAlgorithm,
                $"{where} offers fingerprints in {SdpSyntax.Quote(algorithms)} only; the relay needs sha-256 (or sha-384, sha-512)",
                out error, out reason);
        }

        var setup = audio.Setup ?? description.Setup ?? tagged?.Setup ?? SdpSetup.Active;
        if (setup is SdpSetup.Passive or SdpSetup.HoldConn)
            return SdpSessionDescription.Refuse(SdpError.UnsupportedSetupRole,
                $"{where} has a=setup:{setup.ToString().ToLowerInvariant()}; the relay is always the DTLS server (passive), so offer actpass or active",
                out error, out reason);

        offer = new SdpOffer(description, audioIndex, ufrag, pwd, fingerprints, chosen, setup, opus, bundleGroup ?? []);
        error = SdpError.None;
        reason = "";
        return true;
    }
}
