namespace EdgeVoice.WebRtc.Srtp;

/// <summary>The SRTP key derivation function (RFC 3711 §4.3, AES-CM PRF, key derivation rate 0; RFC 7714 §11 for GCM).</summary>
internal static class SrtpKeyDerivation
{
    public const byte RtpEncryption = 0x00;
    public const byte RtpAuthentication = 0x01;
    public const byte RtpSalt = 0x02;
    public const byte RtcpEncryption = 0x03;
    public const byte RtcpAuthentication = 0x04;
    public const byte RtcpSalt = 0x05;

    /// <summary>Fills <paramref name="output"/> with PRF(master key, (label || 0^48) XOR master salt).</summary>
    public static void Derive(CounterModeCipher masterCipher, ReadOnlySpan<byte> masterSalt, byte label, Span<byte> output)
    {
        if (masterSalt.Length is not (12 or 14))
            throw new ArgumentException($"master salt must be 12 or 14 bytes, got {masterSalt.Length}", nameof(masterSalt));
        // x = key_id XOR salt with the label at byte 7 of the 112-bit value; a 96-bit GCM salt is zero-padded on the right.
        Span<byte> iv = stackalloc byte[CounterModeCipher.IvLength];
        iv.Clear();
        masterSalt.CopyTo(iv);
        iv[7] ^= label;
        output.Clear();
        masterCipher.Transform(iv, output);
    }
}
