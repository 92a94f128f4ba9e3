namespace EdgeVoice.WebRtc.Srtp;

/// <summary>Why an SRTP/SRTCP packet was not protected or unprotected.</summary>
public enum SrtpError
{
    None = 0,
    /// <summary>Too short, not RTP/RTCP version 2, or a header that runs past the packet.</summary>
    Malformed,
    /// <summary>The buffer has no room for the trailer (tag, SRTCP index) this profile adds.</summary>
    BufferTooSmall,
    /// <summary>The authentication tag did not verify: forged, corrupted, or keyed differently.</summary>
    AuthenticationFailed,
    /// <summary>This packet index was already accepted.</summary>
    Replayed,
    /// <summary>The packet index is behind the replay window (or before index 0).</summary>
    TooOld,
    /// <summary>The context already tracks its limit of SSRCs; a new one is dropped.</summary>
    TooManySources,
    /// <summary>The packet index space is used up (2^48 RTP / 2^31 RTCP packets): the session must re-key.</summary>
    IndexExhausted,
}
