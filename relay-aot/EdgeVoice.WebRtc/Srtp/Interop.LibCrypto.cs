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
        foreach (string symbol in new[] { "EVP_MAC_fetch", "EVP_aes_128_ctr", "EVP_aes_128_gcm", "EVP_CIPHER_CTX_ctrl" })
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
