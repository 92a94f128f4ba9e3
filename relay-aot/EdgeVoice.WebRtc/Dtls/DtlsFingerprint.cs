using System.Security.Cryptography;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>Hash functions an SDP <c>a=fingerprint</c> may name (RFC 8122 §5, "hash-func").</summary>
public enum DtlsHashAlgorithm
{
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// <summary>A certificate fingerprint as carried in SDP: <c>sha-256 AB:CD:...</c> (RFC 8122 §5).</summary>
public readonly struct DtlsFingerprint : IEquatable<DtlsFingerprint>
{
    private readonly byte[]? _digest;

    private DtlsFingerprint(DtlsHashAlgorithm algorithm, byte[] digest)
    {
        Algorithm = algorithm;
        _digest = digest;
    }

    public DtlsHashAlgorithm Algorithm { get; }

    public ReadOnlySpan<byte> Digest => _digest;

    public bool IsEmpty => _digest is null;

    /// <summary>The SDP hash-func token, e.g. <c>sha-256</c>.</summary>
    public string AlgorithmName => NameOf(Algorithm);

    /// <summary>Upper-case hex pairs joined by colons, e.g. <c>AB:CD:01</c>.</summary>
    public string Hex => _digest is null ? "" : string.Join(':', _digest.Select(b => b.ToString("X2")));

    /// <summary>The <c>a=fingerprint:</c> value: algorithm, a space, the hex.</summary>
    public override string ToString() => $"{AlgorithmName} {Hex}";

    public static DtlsFingerprint Compute(DtlsHashAlgorithm algorithm, ReadOnlySpan<byte> certificateDer) =>
        new(algorithm, Hash(algorithm, certificateDer));

    /// <summary>True when <paramref name="certificateDer"/> hashes to this fingerprint; compared in constant time.</summary>
    public bool Matches(ReadOnlySpan<byte> certificateDer)
    {
        if (_digest is null)
            return false;
        Span<byte> actual = stackalloc byte[64];
        int length = HashInto(Algorithm, certificateDer, actual);
        return CryptographicOperations.FixedTimeEquals(actual[..length], _digest);
    }

    public bool Matches(DtlsCertificate certificate) => Matches(certificate.Der.Span);

    /// <summary>Parses the value of an SDP <c>a=fingerprint:</c> line (without the attribute name).</summary>
    public static bool TryParse(ReadOnlySpan<char> value, out DtlsFingerprint fingerprint, out DtlsError error)
    {
        fingerprint = default;
        value = value.Trim();
        int space = value.IndexOfAny(' ', '\t');
        if (space <= 0)
        {
            error = DtlsError.BadFingerprintSyntax;
            return false;
        }
        if (!TryParseAlgorithm(value[..space], out DtlsHashAlgorithm algorithm))
        {
            error = DtlsError.UnsupportedHashAlgorithm;
            return false;
        }
        ReadOnlySpan<char> hex = value[(space + 1)..].TrimStart();
        int length = DigestLength(algorithm);
        // Exactly "XX:XX:...:XX": two hex digits per byte, one colon between bytes.
        if (hex.Length != length * 3 - 1)
        {
            error = DtlsError.BadFingerprintSyntax;
            return false;
        }
        var digest = new byte[length];
        for (int i = 0; i < length; i++)
        {
            int at = i * 3;
            int hi = HexValue(hex[at]), lo = HexValue(hex[at + 1]);
            if (hi < 0 || lo < 0 || (i < length - 1 && hex[at + 2] != ':'))
            {
                error = DtlsError.BadFingerprintSyntax;
                return false;
            }
            digest[i] = (byte)(hi << 4 | lo);
        }
        fingerprint = new DtlsFingerprint(algorithm, digest);
        error = DtlsError.None;
        return true;
    }

    public static string NameOf(DtlsHashAlgorithm algorithm) => algorithm switch
    {
        DtlsHashAlgorithm.Sha1 => "sha-1",
        DtlsHashAlgorithm.Sha256 => "sha-256",
        DtlsHashAlgorithm.Sha384 => "sha-384",
        DtlsHashAlgorithm.Sha512 => "sha-512",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown hash algorithm"),
    };

    public static int DigestLength(DtlsHashAlgorithm algorithm) => algorithm switch
    {
        DtlsHashAlgorithm.Sha1 => 20,
        DtlsHashAlgorithm.Sha256 => 32,
        DtlsHashAlgorithm.Sha384 => 48,
        DtlsHashAlgorithm.Sha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown hash algorithm"),
    };

    public bool Equals(DtlsFingerprint other) =>
        Algorithm == other.Algorithm && Digest.SequenceEqual(other.Digest) && IsEmpty == other.IsEmpty;

    public override bool Equals(object? obj) => obj is DtlsFingerprint other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Algorithm);
        hash.AddBytes(Digest);
        return hash.ToHashCode();
    }

    public static bool operator ==(DtlsFingerprint left, DtlsFingerprint right) => left.Equals(right);

    public static bool operator !=(DtlsFingerprint left, DtlsFingerprint right) => !left.Equals(right);

    private static bool TryParseAlgorithm(ReadOnlySpan<char> token, out DtlsHashAlgorithm algorithm)
    {
        foreach (DtlsHashAlgorithm candidate in (ReadOnlySpan<DtlsHashAlgorithm>)[DtlsHashAlgorithm.Sha1, DtlsHashAlgorithm.Sha256, DtlsHashAlgorithm.Sha384, DtlsHashAlgorithm.Sha512])
        {
            if (token.Equals(NameOf(candidate), StringComparison.OrdinalIgnoreCase))
            {
                algorithm = candidate;
                return true;
            }
        }
        algorithm = default;
        return false;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static byte[] Hash(DtlsHashAlgorithm algorithm, ReadOnlySpan<byte> data)
    {
        Span<byte> buffer = stackalloc byte[64];
        int length = HashInto(algorithm, data, buffer);
        return buffer[..length].ToArray();
    }

    private static int HashInto(DtlsHashAlgorithm algorithm, ReadOnlySpan<byte> data, Span<byte> destination) => algorithm switch
    {
        DtlsHashAlgorithm.Sha1 => SHA1.HashData(data, destination),
        DtlsHashAlgorithm.Sha256 => SHA256.HashData(data, destination),
        DtlsHashAlgorithm.Sha384 => SHA384.HashData(data, destination),
        DtlsHashAlgorithm.Sha512 => SHA512.HashData(data, destination),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown hash algorithm"),
    };
}
