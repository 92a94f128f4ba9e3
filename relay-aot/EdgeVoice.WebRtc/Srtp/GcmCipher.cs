namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// AES-128-GCM (RFC 7714) for SRTP: managed AES-NI/PCLMULQDQ code where the CPU has it
/// (<see cref="AesNiGcm"/>), libcrypto's EVP API otherwise (<see cref="LibCryptoGcm"/>). A failed tag
/// check is a return value, not an exception, so a flood of forged packets costs no more than valid ones.
/// </summary>
internal sealed class GcmCipher : IDisposable
{
    public const int KeyLength = 16;
    public const int NonceLength = 12;
    public const int TagLength = 16;

    /// <summary>AppContext switch (runtimeconfig or code) that keeps new ciphers on libcrypto, to compare or to fall back.</summary>
    public const string UseLibCryptoSwitch = "EdgeVoice.WebRtc.Srtp.GcmUseLibCrypto";

    private const string AesNiName = "aes-ni";
    private const string LibCryptoName = "libcrypto";

    private readonly AesNiGcm? _aesNi;
    private readonly LibCryptoGcm? _libCrypto;
    private bool _disposed;

    public GcmCipher(ReadOnlySpan<byte> key) : this(key, useLibCrypto: Implementation == LibCryptoName) { }

    /// <summary>A cipher on a chosen path (tests and benchmarks compare the two); the AES-NI path throws where the CPU lacks it.</summary>
    internal GcmCipher(ReadOnlySpan<byte> key, bool useLibCrypto)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"AES-128 key must be {KeyLength} bytes, got {key.Length}", nameof(key));
        if (useLibCrypto)
            _libCrypto = new LibCryptoGcm(key);
        else
            _aesNi = new AesNiGcm(key);
    }

    /// <summary>Prefetches the AES-NI cipher's state (stage 0: the cipher object; 1: its key schedule and powers of H).</summary>
    internal void Prefetch(int stage)
    {
        if (stage == 0)
            CacheLines.Prefetch(_aesNi);
        else
            _aesNi?.Prefetch();
    }

    /// <summary>What a cipher made now runs on: "aes-ni" or "libcrypto" (for a start-up log line: shows what Native AOT detected).</summary>
    public static string Implementation =>
        AesNiGcm.IsSupported && !(AppContext.TryGetSwitch(UseLibCryptoSwitch, out bool forced) && forced) ? AesNiName : LibCryptoName;

    /// <summary>What this cipher runs on.</summary>
    public string ImplementationInUse => _aesNi is not null ? AesNiName : LibCryptoName;

    /// <summary>Encrypts <paramref name="data"/> in place and writes the 16-byte tag; AAD is <paramref name="aad1"/> || <paramref name="aad2"/>.</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, Span<byte> tag)
    {
        if (nonce.Length != NonceLength || tag.Length < TagLength)
            throw new ArgumentException("GCM nonce must be 12 bytes and the tag 16");
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_aesNi is not null)
            _aesNi.Seal(nonce, aad1, aad2, data, tag);
        else
            _libCrypto!.Seal(nonce, aad1, aad2, data, tag);
    }

    /// <summary>Checks the tag and decrypts <paramref name="data"/> in place; false when the tag is wrong (on the AES-NI path data is then untouched).</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, ReadOnlySpan<byte> tag)
    {
        if (nonce.Length != NonceLength || tag.Length != TagLength)
            throw new ArgumentException("GCM nonce must be 12 bytes and the tag 16");
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _aesNi is not null
            ? _aesNi.TryOpen(nonce, aad1, aad2, data, tag)
            : _libCrypto!.TryOpen(nonce, aad1, aad2, data, tag);
    }

    public void Dispose()
    {
        _disposed = true;
        _aesNi?.Clear();
        _libCrypto?.Dispose();
    }
}
