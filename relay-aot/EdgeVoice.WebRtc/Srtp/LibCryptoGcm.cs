using System.Security.Cryptography;

namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// AES-128-GCM (RFC 7714) on reused libcrypto contexts: the <see cref="GcmCipher"/> fallback where the CPU lacks
/// AES-NI/PCLMULQDQ. A failed tag check is a return value, not an exception, so a flood of forged
/// packets costs no more than valid ones.
/// </summary>
internal sealed unsafe class LibCryptoGcm : GcmCipher
{
    private readonly EvpCipherContextHandle _seal;
    private readonly EvpCipherContextHandle _open;
    private readonly nint _sealCtx; // the handles' pointers, for the per-packet calls
    private readonly nint _openCtx;

    /// <summary>Made by <see cref="GcmCipher.Create(ReadOnlySpan{byte}, bool)"/>, which checks the key's length.</summary>
    internal LibCryptoGcm(ReadOnlySpan<byte> key)
    {
        LibCrypto.ThrowIfNotSupported();
        _seal = CreateContext(key, encrypt: true);
        _open = CreateContext(key, encrypt: false);
        _sealCtx = _seal.DangerousGetHandle();
        _openCtx = _open.DangerousGetHandle();
    }

    private static EvpCipherContextHandle CreateContext(ReadOnlySpan<byte> key, bool encrypt)
    {
        var context = LibCrypto.EVP_CIPHER_CTX_new();
        if (context.IsInvalid)
            throw LibCrypto.Failure("EVP_CIPHER_CTX_new");
        fixed (byte* k = key)
        {
            if (LibCrypto.EVP_CipherInit_ex(context, LibCrypto.EVP_aes_128_gcm(), 0, null, null, encrypt ? 1 : 0) != 1 ||
                LibCrypto.EVP_CIPHER_CTX_ctrl(context, LibCrypto.EVP_CTRL_GCM_SET_IVLEN, NonceLength, null) != 1 ||
                LibCrypto.EVP_CipherInit_ex(context, 0, 0, k, null, -1) != 1)
            {
                context.Dispose();
                throw LibCrypto.Failure("EVP_CipherInit_ex(aes-128-gcm)");
            }
        }
        return context;
    }

    public override string ImplementationInUse => LibCryptoName;

    /// <summary>Encrypts <paramref name="data"/> in place and writes the 16-byte tag; AAD is <paramref name="aad1"/> || <paramref name="aad2"/>.</summary>
    protected override void SealCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, Span<byte> tag)
    {
        int written;
        fixed (byte* n = nonce)
        fixed (byte* a1 = aad1)
        fixed (byte* a2 = aad2)
        fixed (byte* d = data)
        fixed (byte* t = tag)
        {
            if (!Begin(_sealCtx, n, a1, aad1.Length, a2, aad2.Length, d, data.Length) ||
                LibCrypto.CipherFinal(_sealCtx, d + data.Length, &written) != 1 ||
                LibCrypto.CipherControl(_sealCtx, LibCrypto.EVP_CTRL_GCM_GET_TAG, TagLength, t) != 1)
                throw LibCrypto.Failure("AES-128-GCM seal");
        }
        GC.KeepAlive(this);
    }

    /// <summary>Checks the tag and decrypts <paramref name="data"/> in place; false (data then zeroed) when the tag is wrong.</summary>
    protected override bool TryOpenCore(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad1, ReadOnlySpan<byte> aad2, Span<byte> data, ReadOnlySpan<byte> tag)
    {
        // libcrypto's set-tag call takes a non-const pointer: hand it a copy. It compares in constant time.
        Span<byte> expected = stackalloc byte[TagLength];
        tag.CopyTo(expected);
        int written;
        bool opened;
        fixed (byte* n = nonce)
        fixed (byte* a1 = aad1)
        fixed (byte* a2 = aad2)
        fixed (byte* d = data)
        fixed (byte* t = expected)
        {
            if (!Begin(_openCtx, n, a1, aad1.Length, a2, aad2.Length, d, data.Length) ||
                LibCrypto.CipherControl(_openCtx, LibCrypto.EVP_CTRL_GCM_SET_TAG, TagLength, t) != 1)
                throw LibCrypto.Failure("AES-128-GCM open");
            opened = LibCrypto.CipherFinal(_openCtx, d + data.Length, &written) == 1;
        }
        GC.KeepAlive(this);
        if (!opened)
        {
            LibCrypto.ERR_clear_error();
            data.Clear(); // libcrypto decrypts before it checks the tag: leave no unauthenticated plaintext behind
        }
        return opened;
    }

    /// <summary>
    /// What seal and open share: sets the nonce on <paramref name="context"/>, feeds it the AAD (aad1 || aad2), then runs
    /// the data through it in place (encrypting or decrypting); false on a libcrypto error.
    /// </summary>
    private static bool Begin(nint context, byte* nonce, byte* aad1, int aad1Length, byte* aad2, int aad2Length, byte* data, int dataLength)
    {
        int written;
        return LibCrypto.CipherReset(context, 0, 0, null, nonce, -1) == 1
            && (aad1Length == 0 || LibCrypto.CipherUpdate(context, null, &written, aad1, aad1Length) == 1)
            && (aad2Length == 0 || LibCrypto.CipherUpdate(context, null, &written, aad2, aad2Length) == 1)
            && (dataLength == 0 || LibCrypto.CipherUpdate(context, data, &written, data, dataLength) == 1);
    }

    protected override void ReleaseKey()
    {
        _seal.Dispose();
        _open.Dispose();
    }
}
