namespace EdgeVoice.WebRtc.Srtp;

/// <summary>DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2), by their IANA id.</summary>
public enum SrtpProfile : ushort
{
    Aes128CmHmacSha1_80 = 0x0001,
    AeadAes128Gcm = 0x0007,
}

public static class SrtpProfileInfo
{
    /// <summary>Master key length in bytes.</summary>
    public static int KeyLength(this SrtpProfile profile) => 16;

    /// <summary>Master salt length in bytes: 14 for AES-CM (RFC 3711), 12 for AEAD-GCM (RFC 7714).</summary>
    public static int SaltLength(this SrtpProfile profile) => profile switch
    {
        SrtpProfile.Aes128CmHmacSha1_80 => 14,
        SrtpProfile.AeadAes128Gcm => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown SRTP profile"),
    };

    public static bool IsKnown(ushort id) => id is (ushort)SrtpProfile.Aes128CmHmacSha1_80 or (ushort)SrtpProfile.AeadAes128Gcm;
}

/// <summary>Keys exported from a DTLS handshake (RFC 5764 §4.2): client write key/salt and server write key/salt.</summary>
public sealed record SrtpKeyingMaterial(SrtpProfile Profile, byte[] ClientKey, byte[] ClientSalt, byte[] ServerKey, byte[] ServerSalt)
{
    /// <summary>Splits the exporter output "EXTRACTOR-dtls_srtp": client key | server key | client salt | server salt.</summary>
    public static SrtpKeyingMaterial FromExporter(SrtpProfile profile, ReadOnlySpan<byte> material)
    {
        int k = profile.KeyLength(), s = profile.SaltLength();
        if (material.Length < 2 * (k + s))
            throw new ArgumentException($"exporter output is {material.Length} bytes, {2 * (k + s)} needed", nameof(material));
        return new SrtpKeyingMaterial(profile,
            material[..k].ToArray(),
            material.Slice(2 * k, s).ToArray(),
            material.Slice(k, k).ToArray(),
            material.Slice(2 * k + s, s).ToArray());
    }
}
