using System.Runtime.InteropServices;

namespace EdgeVoice.Tunnel.Quic;

/// <summary>
/// libevquic (shared/native/evquic.c): the flat C layer over ngtcp2 0.12 and GnuTLS that owns
/// their versioned structs and callback tables. Layouts here mirror evquic.c exactly.
/// </summary>
internal static unsafe partial class Interop
{
    internal static partial class EvQuic
    {
        private const string Library = "evquic";

        internal const int NGTCP2_ERR_INVALID_ARGUMENT = -201;
        internal const int NGTCP2_ERR_CRYPTO = -215;
        internal const int NGTCP2_ERR_CLOSING = -230;
        internal const int NGTCP2_ERR_DRAINING = -231;
        internal const int NGTCP2_ERR_DISCARD_PKT = -235;
        internal const int NGTCP2_ERR_RETRY = -241;
        internal const int NGTCP2_ERR_DROP_CONN = -242;
        internal const int NGTCP2_ERR_HANDSHAKE_TIMEOUT = -246;
        internal const int NGTCP2_ERR_IDLE_CLOSE = -248;
        internal const int NGTCP2_ERR_CALLBACK_FAILURE = -502;

        [StructLayout(LayoutKind.Sequential)]
        internal struct Datum
        {
            public byte* Data;
            public uint Size;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct Hooks
        {
            public delegate* unmanaged<IntPtr, Datum*, uint, int> VerifyPeer;
            public delegate* unmanaged<IntPtr, byte*, nuint, int> HandshakeCompleted;
            public delegate* unmanaged<IntPtr, long, int, byte*, nuint, int> StreamData;
            public delegate* unmanaged<IntPtr, byte*, nuint, int> Datagram;
            public delegate* unmanaged<IntPtr, int, byte*, nuint, int> CidChanged;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct Config
        {
            public ulong IdleTimeoutNs;
            public ulong KeepaliveNs;
            public ulong HandshakeTimeoutNs;
            public ulong MaxDatagramFrameSize;
            public byte* Alpn;
            public nuint AlpnLength;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct Stats
        {
            public ulong DatagramsQueued;
            public ulong DatagramsDroppedQueueFull;
            public ulong DatagramsDroppedTooLarge;
            public ulong StreamBytesQueued;
            public ulong StreamBytesAcked;
            public ulong SmoothedRttNs;
            public ulong CongestionWindow;
            public ulong BytesInFlight;
            public int HandshakeCompleted;
            public int VerifyCalled;
            public int VerifyResult;
            public int TlsAlert;
        }

        /// <summary>Largest datagram payload evquic queues (EVQ_DGRAM_MAX).</summary>
        internal const int MaxDatagramPayload = 1400;

        [LibraryImport(Library)]
        internal static partial IntPtr evq_creds_new(byte* certPem, nuint certLength, byte* keyPem, nuint keyLength, out int error);

        [LibraryImport(Library)]
        internal static partial void evq_creds_free(IntPtr creds);

        [LibraryImport(Library)]
        internal static partial IntPtr evq_strerror(int libError);

        [LibraryImport(Library)]
        internal static partial IntPtr evq_gnutls_strerror(int error);

        [LibraryImport(Library)]
        internal static partial IntPtr evq_client_new(QuicCredentialsHandle creds, byte* local, int localLength, byte* remote, int remoteLength,
            Hooks* hooks, IntPtr user, Config* config, ulong now, out int error);

        [LibraryImport(Library)]
        internal static partial IntPtr evq_server_accept(QuicCredentialsHandle creds, byte* packet, nuint length, byte* local, int localLength,
            byte* remote, int remoteLength, Hooks* hooks, IntPtr user, Config* config, ulong now, out int error);

        [LibraryImport(Library)]
        internal static partial void evq_conn_free(IntPtr conn);

        [LibraryImport(Library)]
        internal static partial int evq_decode_dcid(byte* packet, nuint length, byte* dcid, out nuint dcidLength, out int longHeader);

        [LibraryImport(Library)]
        internal static partial int evq_read(QuicConnectionHandle conn, byte* packet, nuint length, ulong now);

        [LibraryImport(Library)]
        internal static partial nint evq_write(QuicConnectionHandle conn, byte* buffer, nuint length, ulong now);

        [LibraryImport(Library)]
        internal static partial int evq_stream_send(QuicConnectionHandle conn, byte* data, nuint length);

        [LibraryImport(Library)]
        internal static partial int evq_datagram_send(QuicConnectionHandle conn, byte* data, nuint length);

        [LibraryImport(Library)]
        internal static partial ulong evq_expiry(QuicConnectionHandle conn);

        [LibraryImport(Library)]
        internal static partial int evq_handle_expiry(QuicConnectionHandle conn, ulong now);

        [LibraryImport(Library)]
        internal static partial nint evq_write_close(QuicConnectionHandle conn, byte* buffer, nuint length, int libError, ulong appError,
            byte* reason, nuint reasonLength, ulong now);

        [LibraryImport(Library)]
        internal static partial nuint evq_peer_close(QuicConnectionHandle conn, out ulong code, out int type, byte* reason, nuint reasonCapacity);

        [LibraryImport(Library)]
        internal static partial void evq_get_stats(QuicConnectionHandle conn, out Stats stats);

        internal static string ErrorText(int libError) => Marshal.PtrToStringUTF8(evq_strerror(libError)) ?? libError.ToString();

        internal static string TlsErrorText(int error) => Marshal.PtrToStringUTF8(evq_gnutls_strerror(error)) ?? error.ToString();

        private static readonly Lazy<string?> LoadProblem = new(() =>
        {
            try
            {
                return NativeLibrary.TryLoad("libevquic.so", typeof(EvQuic).Assembly, null, out _)
                    ? null
                    : "libevquic.so was not found next to EdgeVoice.Tunnel.dll (built from shared/native/evquic.c; needs libngtcp2-9, libngtcp2-crypto-gnutls2, libgnutls30)";
            }
            catch (Exception e) when (e is BadImageFormatException or DllNotFoundException)
            {
                return $"libevquic.so could not be loaded: {e.Message}";
            }
        });

        internal static bool IsSupported => LoadProblem.Value is null;
        internal static string? NotSupportedReason => LoadProblem.Value;
    }
}

/// <summary>GnuTLS certificate credentials (evq_creds).</summary>
internal sealed class QuicCredentialsHandle : SafeHandle
{
    public QuicCredentialsHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    internal QuicCredentialsHandle(IntPtr handle) : this() => SetHandle(handle);
    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.EvQuic.evq_creds_free(handle);
        return true;
    }
}

/// <summary>One ngtcp2 connection with its GnuTLS session (evq_conn). Holds a reference on its credentials.</summary>
internal sealed class QuicConnectionHandle : SafeHandle
{
    private QuicCredentialsHandle? _credentials;

    public QuicConnectionHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal QuicConnectionHandle(IntPtr handle, QuicCredentialsHandle credentials) : this()
    {
        bool added = false;
        credentials.DangerousAddRef(ref added);
        _credentials = credentials;
        SetHandle(handle);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interop.EvQuic.evq_conn_free(handle);
        _credentials?.DangerousRelease();
        _credentials = null;
        return true;
    }
}
