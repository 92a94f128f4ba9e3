using EdgeVoice.WebRtc.Dtls;

namespace EdgeVoice.WebRtc.Sdp;

/// <summary>An <c>a=fingerprint</c> attribute as written (RFC 8122): any hash function name (lower case) and digest bytes; <see cref="DtlsFingerprint"/> is what DTLS checks.</summary>
public sealed class SdpFingerprint
{
    private readonly byte[] _digest;

    public SdpFingerprint(string algorithm, ReadOnlySpan<byte> digest)
    {
        Algorithm = algorithm.ToLowerInvariant();
        _digest = digest.ToArray();
    }

    public string Algorithm { get; }

    public ReadOnlySpan<byte> Digest => _digest;

    /// <summary>The fingerprint as DTLS checks it, or false for a hash function DTLS does not support (e.g. md5, sha-224).</summary>
    public bool TryToDtls(out DtlsFingerprint fingerprint) => DtlsFingerprint.TryParse(ToString(), out fingerprint, out _);

    /// <summary>Parses the attribute value <c>sha-256 AB:CD:...</c>: two hex digits per byte, single colons, length fixed by the algorithm.</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out SdpFingerprint? fingerprint, out string reason)
    {
        fingerprint = null;
        int space = value.IndexOf(' ');
        if (space <= 0)
        {
            reason = "a=fingerprint needs '<hash-function> <hex bytes>'";
            return false;
        }
        var algorithm = value[..space];
        var hex = value[(space + 1)..].Trim(' ');
        if (!SdpSyntax.IsToken(algorithm) || algorithm.Length > 16)
        {
            reason = "a=fingerprint hash function is not a token";
            return false;
        }
        if (hex.Length == 0 || (hex.Length + 1) % 3 != 0 || (hex.Length + 1) / 3 > 64)
        {
            reason = "a=fingerprint digest must be 1-64 bytes written as XX:XX:...";
            return false;
        }
        int count = (hex.Length + 1) / 3;
        Span<byte> digest = stackalloc byte[64];
        for (int i = 0; i < count; i++)
        {
            int at = i * 3;
            int high = HexValue(hex[at]), low = HexValue(hex[at + 1]);
            if (high < 0 || low < 0 || (i < count - 1 && hex[at + 2] != ':'))
            {
                reason = $"a=fingerprint digest has a bad byte at position {i + 1} (expected two hex digits then ':')";
                return false;
            }
            digest[i] = (byte)(high << 4 | low);
        }
        string name = algorithm.ToString().ToLowerInvariant();
        int expected = DigestLength(name);
        if (expected > 0 && expected != count)
        {
            reason = $"a=fingerprint {name} digest has {count} bytes, {expected} expected";
            return false;
        }
        fingerprint = new SdpFingerprint(name, digest[..count]);
        reason = "";
        return true;
    }

    /// <summary>The attribute value, upper-case hex as RFC 8122 writes it.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder(Algorithm.Length + 1 + _digest.Length * 3);
        text.Append(Algorithm).Append(' ');
        for (int i = 0; i < _digest.Length; i++)
        {
            if (i > 0)
                text.Append(':');
            text.Append(_digest[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    private static int DigestLength(string algorithm) => algorithm switch
    {
        "sha-1" => 20,
        "sha-224" => 28,
        "sha-256" => 32,
        "sha-384" => 48,
        "sha-512" => 64,
        _ => 0,
    };

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };
}
