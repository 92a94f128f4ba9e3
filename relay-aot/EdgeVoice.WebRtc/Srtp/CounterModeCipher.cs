using System.Security.Cryptography;

namespace EdgeVoice.WebRtc.Srtp;

/// <summary>AES-128 in counter mode (RFC 3711 §4.1.1) on one reused libcrypto context: the key schedule is done once.</summary>
internal sealed unsafe class CounterModeCipher : IDisposable
{
    public const int KeyLength = 16;
    public const int IvLength = 16;

    private readonly EvpCipherContextHandle _context;
    private readonly nint _ctx; // _context's pointer, for the per-packet calls
    private bool _disposed;

    public CounterModeCipher(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"AES-128 key must be {KeyLength} bytes, got {key.Length}", nameof(key));
        LibCrypto.ThrowIfNotSupported();
        _context = LibCrypto.EVP_CIPHER_CTX_new();
        if (_context.IsInvalid)
            throw LibCrypto.Failure("EVP_CIPHER_CTX_new");
        fixed (byte* k = key)
        {
            if (LibCrypto.EVP_CipherInit_ex(_context, LibCrypto.EVP_aes_128_ctr(), 0, k, null, 1) != 1)
                throw LibCrypto.Failure("EVP_CipherInit_ex(aes-128-ctr)");
        }
        _ctx = _context.DangerousGetHandle();
    }

    /// <summary>XORs the keystream that starts at counter block <paramref name="iv"/> into <paramref name="data"/>, in place.</summary>
    public void Transform(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        if (iv.Length != IvLength)
            throw new ArgumentException($"counter block must be {IvLength} bytes", nameof(iv));
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (data.IsEmpty)
            return;
        int written;
        fixed (byte* v = iv)
        fixed (byte* d = data)
        {
            if (LibCrypto.CipherReset(_ctx, 0, 0, null, v, 1) != 1 ||
                LibCrypto.CipherUpdate(_ctx, d, &written, d, data.Length) != 1)
                throw LibCrypto.Failure("AES-128-CTR");
        }
        GC.KeepAlive(this);
    }

    public void Dispose()
    {
        _disposed = true;
        _context.Dispose();
    }
}
