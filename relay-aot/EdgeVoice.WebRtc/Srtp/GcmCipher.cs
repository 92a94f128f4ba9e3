namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// AES-128-GCM (RFC 7714) for SRTP: managed AES-NI/PCLMULQDQ code where the CPU has it
/// (<see cref="AesNiGcm"/>), libcrypto's EVP API otherwise (<see cref="LibCryptoGcm"/>). A failed tag
/// check is a return value, not an exception, so a flood of forged packets costs no more than valid ones.
/// The two are subclasses rather than members of a wrapper, so a packet reaches the cipher's state with one
/// reference less: after a batch sleep every reference is a cache miss.
/// </summary>
internal abstract class GcmCipher : IDisposable
{
    public const int KeyLength = 16;
    public const int NonceLength = 12;
    public const int TagLength = 16;

    /// <summary>AppContext switch (runtimeconfig or code) that keeps new ciphers on libcrypto, to compare or to fall back.</summary>
    public const string UseLibCryptoSwitch = "EdgeVoice.WebRtc.Srtp.GcmUseLibCrypto";

    protected const string AesNiName = "aes-ni";
    protected const string LibCryptoName = "libcrypto";

    private bool _disposed;

    /// <summary>A cipher on what <see cref="Implementation"/> names.</summary>
    public static GcmCipher Create(ReadOnlySpan<byte> key) => Create(key, useLibCrypto: Implementation == LibCryptoName);

    /// <summary>A cipher on a chosen path (tests and benchmarks compare the two); the AES-NI path throws where the CPU lacks it.</summary>
    internal static GcmCipher Create(ReadOnlySpan<byte> key, bool useLibCrypto)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"AES-128 key must be {KeyLength} bytes, got {key.Length}", nameof(key));
        return useLibCrypto ? new LibCryptoGcm(key) : new AesNiGcm(key);
    }

    /// <summary>What a cipher made now runs on: "aes-ni" or "libcrypto" (for a start-up log line: shows what Native AOT detected).</summary>
    public static string Implementation =>
        AesNiGcm.IsSupported && !(AppContext.TryGetSwitch(UseLibCryptoSwitch, out bool forced) && forced) ? AesNiName : LibCryptoName;

    /// <summary>What this cipher runs on.</summary>
    public abstract string ImplementationInUse { get; }

    /// <summary>Encrypts <paramref name="data"/> in place and writes the 16-byte tag; AAD is <paramref name="aad1"/> || <paramref name="aad2"/>.</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, Span<byte> tag)
    {
        if (nonce.Length != NonceLength || tag.Length < TagLength)
            throw new ArgumentException("GCM nonce must be 12 bytes and the tag 16");
        ObjectDisposedException.ThrowIf(_disposed, this);
        SealCore(nonce, aad1, aad2, data, tag[..TagLength]);
    }

    /// <summary>
    /// Checks the tag and decrypts <paramref name="data"/> in place; false when the tag is wrong (data is then
    /// untouched on the AES-NI path, zeroed on libcrypto's).
    /// </summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, ReadOnlySpan<byte> tag)
    {
        if (nonce.Length != NonceLength || tag.Length != TagLength)
            throw new ArgumentException("GCM nonce must be 12 bytes and the tag 16");
        ObjectDisposedException.ThrowIf(_disposed, this);
        return TryOpenCore(nonce, aad1, aad2, data, tag);
    }

    /// <summary>Seal with checked arguments: a 12-byte nonce and a 16-byte tag.</summary>
    protected abstract void SealCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, Span<byte> tag);

    /// <summary>Open with checked arguments: a 12-byte nonce and a 16-byte tag.</summary>
    protected abstract bool TryOpenCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, ReadOnlySpan<byte> tag);

    /// <summary>Wipes or frees the key material.</summary>
    protected abstract void ReleaseKey();

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        ReleaseKey();
    }
}
