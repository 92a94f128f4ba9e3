using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// OpenSSL 3 libcrypto, the SRTP transforms' one native dependency: EVP contexts keep the key
/// schedule and HMAC key state, so per packet there is only an IV reset and the crypto itself.
/// </summary>
internal static partial class LibCrypto
{
    private const string Library = "libcrypto.so.3";

    internal const int EVP_CTRL_GCM_SET_IVLEN = 0x9;
    internal const int EVP_CTRL_GCM_GET_TAG = 0x10;
    internal const int EVP_CTRL_GCM_SET_TAG = 0x11;

    private static readonly string? s_notSupportedReason = Probe();

    /// <summary>Whether libcrypto.so.3 loads and has what the SRTP transforms need.</summary>
    public static bool IsSupported => s_notSupportedReason is null;

    /// <summary>Why <see cref="IsSupported"/> is false, for a start-up log line; null when supported.</summary>
    public static string? NotSupportedReason => s_notSupportedReason;

    private static string? Probe()
    {
        if (!NativeLibrary.TryLoad(Library, typeof(LibCrypto).Assembly, null, out nint handle))
            return $"{Library} could not be loaded (install libssl3)";
        foreach (string symbol in new[] { "EVP_MAC_fetch", "EVP_aes_128_ctr", "EVP_aes_128_gcm", "EVP_CIPHER_CTX_ctrl", "ECDH_compute_key", "ECDSA_verify", "EVP_PKEY_new_raw_public_key" })
            if (!NativeLibrary.TryGetExport(handle, symbol, out _))
                return $"{Library} has no {symbol} (OpenSSL 3 is needed)";
        return null;
    }

    internal static void ThrowIfNotSupported()
    {
        if (s_notSupportedReason is not null)
            throw new PlatformNotSupportedException(s_notSupportedReason);
    }

    [LibraryImport(Library)]
    internal static partial EvpCipherContextHandle EVP_CIPHER_CTX_new();

    [LibraryImport(Library)]
    internal static partial void EVP_CIPHER_CTX_free(nint ctx);

    [LibraryImport(Library)]
    internal static partial nint EVP_aes_128_ctr();

    [LibraryImport(Library)]
    internal static partial nint EVP_aes_128_gcm();

    [LibraryImport(Library)]
    internal static unsafe partial int EVP_CipherInit_ex(EvpCipherContextHandle ctx, nint cipher, nint engine, byte* key, byte* iv, int enc);

    [LibraryImport(Library)]
    internal static unsafe partial int EVP_CIPHER_CTX_ctrl(EvpCipherContextHandle ctx, int type, int arg, byte* ptr);

    [LibraryImport(Library)]
    internal static unsafe partial nint EVP_MAC_fetch(nint libraryContext, byte* algorithm, byte* properties);

    [LibraryImport(Library)]
    internal static partial void EVP_MAC_free(nint mac);

    [LibraryImport(Library)]
    internal static partial EvpMacContextHandle EVP_MAC_CTX_new(nint mac);

    [LibraryImport(Library)]
    internal static partial void EVP_MAC_CTX_free(nint ctx);

    [LibraryImport(Library)]
    internal static unsafe partial int EVP_MAC_init(EvpMacContextHandle ctx, byte* key, nuint keyLength, OsslParam* parameters);

    [LibraryImport(Library)]
    internal static partial void ERR_clear_error();

    // Per-packet calls: raw context pointers (the owning SafeHandle outlives every call) and no GC
    // transition, since each call runs well under a microsecond, never blocks and never calls back.

    [LibraryImport(Library, EntryPoint = "EVP_CipherInit_ex"), SuppressGCTransition]
    internal static unsafe partial int CipherReset(nint ctx, nint cipher, nint engine, byte* key, byte* iv, int enc);

    [LibraryImport(Library, EntryPoint = "EVP_CipherUpdate"), SuppressGCTransition]
    internal static unsafe partial int CipherUpdate(nint ctx, byte* output, int* outputLength, byte* input, int inputLength);

    [LibraryImport(Library, EntryPoint = "EVP_CipherFinal_ex"), SuppressGCTransition]
    internal static unsafe partial int CipherFinal(nint ctx, byte* output, int* outputLength);

    [LibraryImport(Library, EntryPoint = "EVP_CIPHER_CTX_ctrl"), SuppressGCTransition]
    internal static unsafe partial int CipherControl(nint ctx, int type, int arg, byte* ptr);

    [LibraryImport(Library, EntryPoint = "EVP_MAC_init"), SuppressGCTransition]
    internal static unsafe partial int MacReset(nint ctx, byte* key, nuint keyLength, OsslParam* parameters);

    [LibraryImport(Library, EntryPoint = "EVP_MAC_update"), SuppressGCTransition]
    internal static unsafe partial int MacUpdate(nint ctx, byte* data, nuint length);

    [LibraryImport(Library, EntryPoint = "EVP_MAC_final"), SuppressGCTransition]
    internal static unsafe partial int MacFinal(nint ctx, byte* output, nuint* outputLength, nuint outputSize);

    // DTLS handshake public-key work (Dtls/OpenSslTlsCrypto.cs): the EC_KEY calls take a peer's point without
    // the provider import and full key check that make EVP_PKEY_fromdata cost more than the operation itself.

    internal const int NID_X9_62_prime256v1 = 415;
    internal const int EVP_PKEY_X25519 = 1034;
    internal const int POINT_CONVERSION_UNCOMPRESSED = 4;

    [LibraryImport(Library)]
    internal static partial EcKeyHandle EC_KEY_new_by_curve_name(int nid);

    [LibraryImport(Library)]
    internal static partial void EC_KEY_free(nint key);

    [LibraryImport(Library)]
    internal static partial int EC_KEY_generate_key(EcKeyHandle key);

    [LibraryImport(Library)]
    internal static partial nint EC_KEY_get0_group(EcKeyHandle key);

    [LibraryImport(Library)]
    internal static partial nint EC_KEY_get0_public_key(EcKeyHandle key);

    [LibraryImport(Library)]
    internal static partial int EC_KEY_set_public_key(EcKeyHandle key, EcPointHandle point);

    [LibraryImport(Library)]
    internal static partial EcPointHandle EC_POINT_new(nint group);

    [LibraryImport(Library)]
    internal static partial void EC_POINT_free(nint point);

    [LibraryImport(Library)]
    internal static unsafe partial int EC_POINT_oct2point(nint group, EcPointHandle point, byte* buffer, nuint length, nint bnContext);

    [LibraryImport(Library)]
    internal static unsafe partial nuint EC_POINT_point2oct(nint group, nint point, int form, byte* buffer, nuint length, nint bnContext);

    [LibraryImport(Library)]
    internal static unsafe partial int ECDH_compute_key(byte* output, nuint outputLength, EcPointHandle peer, EcKeyHandle key, nint kdf);

    [LibraryImport(Library)]
    internal static unsafe partial int ECDSA_verify(int type, byte* digest, int digestLength, byte* signature, int signatureLength, EcKeyHandle key);

    [LibraryImport(Library)]
    internal static unsafe partial EvpPKeyHandle EVP_PKEY_new_raw_private_key(int type, nint engine, byte* key, nuint length);

    [LibraryImport(Library)]
    internal static unsafe partial EvpPKeyHandle EVP_PKEY_new_raw_public_key(int type, nint engine, byte* key, nuint length);

    [LibraryImport(Library)]
    internal static unsafe partial int EVP_PKEY_get_raw_public_key(EvpPKeyHandle key, byte* output, nuint* length);

    [LibraryImport(Library)]
    internal static partial void EVP_PKEY_free(nint key);

    [LibraryImport(Library)]
    internal static partial EvpPKeyContextHandle EVP_PKEY_CTX_new(EvpPKeyHandle key, nint engine);

    [LibraryImport(Library)]
    internal static partial void EVP_PKEY_CTX_free(nint ctx);

    [LibraryImport(Library)]
    internal static partial int EVP_PKEY_derive_init(EvpPKeyContextHandle ctx);

    [LibraryImport(Library)]
    internal static partial int EVP_PKEY_derive_set_peer(EvpPKeyContextHandle ctx, EvpPKeyHandle peer);

    [LibraryImport(Library)]
    internal static unsafe partial int EVP_PKEY_derive(EvpPKeyContextHandle ctx, byte* output, nuint* length);

    /// <summary>OSSL_PARAM (openssl/core.h), laid out by hand so no helper call is needed.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct OsslParam
    {
        internal const uint Utf8String = 4;

        public byte* Key;
        public uint DataType;
        public void* Data;
        public nuint DataSize;
        public nuint ReturnSize;
    }

    /// <summary>A libcrypto failure that cannot come from packet contents (set-up, or a broken library).</summary>
    internal static CryptographicException Failure(string call)
    {
        ERR_clear_error();
        return new CryptographicException($"libcrypto {call} failed");
    }
}

internal sealed class EvpCipherContextHandle : SafeHandle
{
    public EvpCipherContextHandle() : base(nint.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibCrypto.EVP_CIPHER_CTX_free(handle);
        return true;
    }
}

internal sealed class EvpMacContextHandle : SafeHandle
{
    public EvpMacContextHandle() : base(nint.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibCrypto.EVP_MAC_CTX_free(handle);
        return true;
    }
}

internal sealed class EcKeyHandle : SafeHandle
{
    public EcKeyHandle() : base(nint.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibCrypto.EC_KEY_free(handle);
        return true;
    }
}

internal sealed class EcPointHandle : SafeHandle
{
    public EcPointHandle() : base(nint.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibCrypto.EC_POINT_free(handle);
        return true;
    }
}

internal sealed class EvpPKeyHandle : SafeHandle
{
    public EvpPKeyHandle() : base(nint.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibCrypto.EVP_PKEY_free(handle);
        return true;
    }
}

internal sealed class EvpPKeyContextHandle : SafeHandle
{
    public EvpPKeyContextHandle() : base(nint.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibCrypto.EVP_PKEY_CTX_free(handle);
        return true;
    }
}
