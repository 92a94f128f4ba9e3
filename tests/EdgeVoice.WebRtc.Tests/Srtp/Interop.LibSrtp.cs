using System.Runtime.InteropServices;

namespace EdgeVoice.WebRtc.Tests.Srtp;

/// <summary>Debian's libsrtp2 (libsrtp2-1), the reference implementation our contexts are cross-checked against.</summary>
internal static unsafe partial class LibSrtp
{
    private const string Library = "libsrtp2.so.1";
    private const int PolicySize = 128;      // sizeof(srtp_policy_t) in libsrtp 2.x on LP64
    private const int RtpPolicyOffset = 8;   // after srtp_ssrc_t
    private const int RtcpPolicyOffset = 32; // after the 24-byte srtp_crypto_policy_t
    private const int KeyOffset = 56;
    private const int WindowSizeOffset = 88;
    private const int SsrcAnyInbound = 2;
    private const int SsrcAnyOutbound = 3;

    public static readonly bool IsAvailable = NativeLibrary.TryLoad(Library, out _) && srtp_init() == 0;

    [LibraryImport(Library)] private static partial int srtp_init();
    [LibraryImport(Library)] private static partial int srtp_create(out nint session, byte* policy);
    [LibraryImport(Library)] private static partial int srtp_dealloc(nint session);
    [LibraryImport(Library)] private static partial int srtp_protect(nint session, byte* packet, ref int length);
    [LibraryImport(Library)] private static partial int srtp_unprotect(nint session, byte* packet, ref int length);
    [LibraryImport(Library)] private static partial int srtp_protect_rtcp(nint session, byte* packet, ref int length);
    [LibraryImport(Library)] private static partial int srtp_unprotect_rtcp(nint session, byte* packet, ref int length);
    [LibraryImport(Library)] private static partial void srtp_crypto_policy_set_rtp_default(byte* policy);
    [LibraryImport(Library)] private static partial void srtp_crypto_policy_set_aes_gcm_128_16_auth(byte* policy);

    /// <summary>One libsrtp2 session: master key || master salt, any inbound or any outbound SSRC.</summary>
    public sealed class Session : IDisposable
    {
        private readonly nint _session;

        public Session(bool gcm, ReadOnlySpan<byte> keyAndSalt, bool outbound)
        {
            byte* policy = stackalloc byte[PolicySize];
            new Span<byte>(policy, PolicySize).Clear();
            *(int*)policy = outbound ? SsrcAnyOutbound : SsrcAnyInbound;
            if (gcm)
            {
                srtp_crypto_policy_set_aes_gcm_128_16_auth(policy + RtpPolicyOffset);
                srtp_crypto_policy_set_aes_gcm_128_16_auth(policy + RtcpPolicyOffset);
            }
            else
            {
                srtp_crypto_policy_set_rtp_default(policy + RtpPolicyOffset);
                srtp_crypto_policy_set_rtp_default(policy + RtcpPolicyOffset);
            }
            byte* key = stackalloc byte[64];
            keyAndSalt.CopyTo(new Span<byte>(key, 64));
            *(byte**)(policy + KeyOffset) = key;
            *(ulong*)(policy + WindowSizeOffset) = 128;
            int status = srtp_create(out _session, policy);
            if (status != 0)
                throw new InvalidOperationException($"srtp_create failed with status {status}");
        }

        public int Protect(Span<byte> buffer, int length, bool rtcp)
        {
            fixed (byte* p = buffer)
            {
                int status = rtcp ? srtp_protect_rtcp(_session, p, ref length) : srtp_protect(_session, p, ref length);
                return status == 0 ? length : -status;
            }
        }

        public int Unprotect(Span<byte> buffer, int length, bool rtcp)
        {
            fixed (byte* p = buffer)
            {
                int status = rtcp ? srtp_unprotect_rtcp(_session, p, ref length) : srtp_unprotect(_session, p, ref length);
                return status == 0 ? length : -status;
            }
        }

        public void Dispose() => srtp_dealloc(_session);
    }
}

/// <summary>A fact that is skipped (not passed) where libsrtp2 is not installed.</summary>
public sealed class LibSrtpFactAttribute : FactAttribute
{
    public LibSrtpFactAttribute()
    {
        if (!LibSrtp.IsAvailable)
            Skip = "libsrtp2 (libsrtp2.so.1) is not installed";
    }
}
