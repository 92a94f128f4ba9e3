using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>use_srtp profile negotiation (RFC 5764 §4.1.1): the server's preference wins, NULL ciphers never.</summary>
public static class DtlsSrtpProfiles
{
    /// <summary>AEAD_AES_128_GCM first (cheaper per packet), then AES128_CM_HMAC_SHA1_80 (what aiortc and pion offer).</summary>
    public static IReadOnlyList<SrtpProfile> Default { get; } = [SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80];

    /// <summary>Walks <paramref name="preference"/> and takes the first profile the peer <paramref name="offered"/>.</summary>
    public static bool TrySelect(IReadOnlyList<SrtpProfile> preference, ReadOnlySpan<int> offered, out SrtpProfile selected)
    {
        foreach (SrtpProfile candidate in preference)
        {
            // Only profiles with a real cipher are in SrtpProfile; the check keeps a cast-in NULL id out all the same.
            if (SrtpProfileInfo.IsKnown((ushort)candidate) && offered.Contains((int)candidate))
            {
                selected = candidate;
                return true;
            }
        }
        selected = default;
        return false;
    }

    /// <summary>Checks a configured list: non-empty, known profiles, no repeats.</summary>
    public static void Validate(IReadOnlyList<SrtpProfile> profiles, string parameterName)
    {
        if (profiles.Count == 0)
            throw new ArgumentException("at least one SRTP profile is needed", parameterName);
        for (int i = 0; i < profiles.Count; i++)
        {
            if (!SrtpProfileInfo.IsKnown((ushort)profiles[i]))
                throw new ArgumentException($"SRTP profile 0x{(ushort)profiles[i]:X4} is not supported", parameterName);
            for (int j = 0; j < i; j++)
            {
                if (profiles[j] == profiles[i])
                    throw new ArgumentException($"SRTP profile {profiles[i]} is listed twice", parameterName);
            }
        }
    }
}
