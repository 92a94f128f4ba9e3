namespace EdgeVoice.WebRtc.Stun;

/// <summary>
/// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) as used by STUN FINGERPRINT. System.IO.Hashing folds
/// 16 bytes at a time with PCLMULQDQ: a byte-at-a-time table was most of a forged check's parse cost.
/// </summary>
internal static class StunCrc32
{
    public static uint Compute(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);
}
