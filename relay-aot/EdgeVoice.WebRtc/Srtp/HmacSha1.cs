using System.Security.Cryptography;

namespace EdgeVoice.WebRtc.Srtp;

/// <summary>HMAC-SHA1 (RFC 2104) with the key state kept in one libcrypto MAC context, reset per message.</summary>
internal sealed unsafe class HmacSha1 : IDisposable
{
    public const int HashLength = 20;

    private readonly EvpMacContextHandle _context;
    private readonly nint _ctx; // _context's pointer, for the per-packet calls
    private bool _disposed;

    public HmacSha1(ReadOnlySpan<byte> key)
    {
        LibCrypto.ThrowIfNotSupported();
        nint mac;
        fixed (byte* name = "HMAC\0"u8)
            mac = LibCrypto.EVP_MAC_fetch(0, name, null);
        if (mac == 0)
            throw LibCrypto.Failure("EVP_MAC_fetch(HMAC)");
        try
        {
            _context = LibCrypto.EVP_MAC_CTX_new(mac);
        }
        finally
        {
            LibCrypto.EVP_MAC_free(mac); // the context holds its own reference
        }
        if (_context.IsInvalid)
            throw LibCrypto.Failure("EVP_MAC_CTX_new");
        fixed (byte* digestKey = "digest\0"u8)
        fixed (byte* sha1 = "SHA1\0"u8)
        fixed (byte* k = key)
        {
            var parameters = stackalloc LibCrypto.OsslParam[2];
            parameters[0] = new LibCrypto.OsslParam { Key = digestKey, DataType = LibCrypto.OsslParam.Utf8String, Data = sha1, DataSize = 4, ReturnSize = nuint.MaxValue };
            parameters[1] = default;
            if (LibCrypto.EVP_MAC_init(_context, k, (nuint)key.Length, parameters) != 1)
                throw LibCrypto.Failure("EVP_MAC_init(HMAC-SHA1)");
        }
        _ctx = _context.DangerousGetHandle();
    }

    /// <summary>Writes HMAC(key, first || second) into <paramref name="hash"/> (20 bytes).</summary>
    public void Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> hash)
    {
        if (hash.Length < HashLength)
            throw new ArgumentException($"hash needs {HashLength} bytes", nameof(hash));
        ObjectDisposedException.ThrowIf(_disposed, this);
        nuint written;
        fixed (byte* a = first)
        fixed (byte* b = second)
        fixed (byte* h = hash)
        {
            // A null key re-uses the key state set at construction.
            if (LibCrypto.MacReset(_ctx, null, 0, null) != 1 ||
                LibCrypto.MacUpdate(_ctx, a, (nuint)first.Length) != 1 ||
                (second.Length > 0 && LibCrypto.MacUpdate(_ctx, b, (nuint)second.Length) != 1) ||
                LibCrypto.MacFinal(_ctx, h, &written, (nuint)HashLength) != 1)
                throw LibCrypto.Failure("HMAC-SHA1");
        }
        GC.KeepAlive(this);
    }

    public void Dispose()
    {
        _disposed = true;
        _context.Dispose();
    }
}
