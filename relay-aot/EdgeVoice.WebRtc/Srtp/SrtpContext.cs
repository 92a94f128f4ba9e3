using System.Buffers.Binary;
using System.Security.Cryptography;
using EdgeVoice.WebRtc.Rtp;

namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// SRTP and SRTCP (RFC 3711; RFC 7714 for AEAD_AES_128_GCM) for one direction of one session:
/// an inbound context unprotects what the peer sent, an outbound one protects what we send.
/// Packets are transformed in place in the caller's buffer; nothing is allocated per packet.
/// Per-SSRC state (rollover counter, highest index, replay window) moves only after a packet's
/// tag verified. Not thread-safe: one receive loop owns a context.
/// </summary>
public sealed class SrtpContext : IDisposable
{
    /// <summary>The most bytes any profile adds to a packet: SRTCP index (4) + GCM tag (16).</summary>
    public const int MaxOverhead = SrtcpIndexLength + GcmCipher.TagLength;

    /// <summary>SSRCs tracked per context; packets from further SSRCs are dropped.</summary>
    public const int MaxSources = 16;

    /// <summary>What AEAD_AES_128_GCM runs on in this process: "aes-ni" where the CPU has AES-NI and PCLMULQDQ, else "libcrypto".</summary>
    public static string GcmImplementation => GcmCipher.Implementation;

    private const int CmTagLength = 10; // HMAC-SHA1-80
    private const int SrtcpIndexLength = 4;
    private const int RtcpHeaderLength = 8;
    private const long MaxRtpIndex = (1L << 48) - 1;
    private const uint MaxRtcpIndex = 0x7FFF_FFFF;
    private const uint SrtcpEncryptedFlag = 0x8000_0000;

    private readonly int _windowSize;
    private readonly int _tagLength;
    private readonly byte[] _rtpSalt;
    private readonly byte[] _rtcpSalt;
    private readonly CounterModeCipher? _rtpCounterMode;
    private readonly CounterModeCipher? _rtcpCounterMode;
    private readonly HmacSha1? _rtpAuthentication;
    private readonly HmacSha1? _rtcpAuthentication;
    private readonly GcmCipher? _rtpGcm;
    private readonly GcmCipher? _rtcpGcm;
    private readonly SourceState[] _sources = new SourceState[MaxSources];
    private int _sourceCount;

    /// <summary>Whether the crypto library (OpenSSL 3 libcrypto) loads here; check at start-up, not per session.</summary>
    public static bool IsSupported => LibCrypto.IsSupported;

    /// <summary>Why <see cref="IsSupported"/> is false, for the start-up log; null when supported.</summary>
    public static string? NotSupportedReason => LibCrypto.NotSupportedReason;

    /// <summary>Derives the session keys from a master key and salt (from DTLS-SRTP keying material).</summary>
    /// <exception cref="PlatformNotSupportedException">libcrypto.so.3 is missing (see <see cref="NotSupportedReason"/>).</exception>
    public SrtpContext(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, int replayWindowSize = 128)
        : this(profile, replayWindowSize, DeriveSessionKeys(profile, masterKey, masterSalt))
    {
    }

    private SrtpContext(SrtpProfile profile, int replayWindowSize, SessionKeys keys)
    {
        if (replayWindowSize is < 64 or > ReplayWindow.MaxSize)
            throw new ArgumentOutOfRangeException(nameof(replayWindowSize), replayWindowSize, $"replay window must be 64..{ReplayWindow.MaxSize} packets");
        Profile = profile;
        _windowSize = replayWindowSize;
        _rtpSalt = keys.RtpSalt;
        _rtcpSalt = keys.RtcpSalt;
        try
        {
            if (profile == SrtpProfile.AeadAes128Gcm)
            {
                _tagLength = GcmCipher.TagLength;
                _rtpGcm = GcmCipher.Create(keys.RtpKey);
                _rtcpGcm = GcmCipher.Create(keys.RtcpKey);
            }
            else
            {
                _tagLength = CmTagLength;
                _rtpCounterMode = new CounterModeCipher(keys.RtpKey);
                _rtcpCounterMode = new CounterModeCipher(keys.RtcpKey);
                _rtpAuthentication = new HmacSha1(keys.RtpAuthKey);
                _rtcpAuthentication = new HmacSha1(keys.RtcpAuthKey);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        finally
        {
            keys.Clear();
        }
    }

    /// <summary>A context from already derived session keys: the RFC 7714 vectors give those, not master keys.</summary>
    internal static SrtpContext FromSessionKeys(SrtpProfile profile, byte[] rtpKey, byte[] rtpSalt, byte[] rtpAuthKey,
        byte[] rtcpKey, byte[] rtcpSalt, byte[] rtcpAuthKey, int replayWindowSize = 128) =>
        new(profile, replayWindowSize, new SessionKeys(rtpKey.ToArray(), rtpSalt.ToArray(), rtpAuthKey.ToArray(), rtcpKey.ToArray(), rtcpSalt.ToArray(), rtcpAuthKey.ToArray()));

    public SrtpProfile Profile { get; }

    /// <summary>Bytes an SRTP packet has beyond its RTP packet: the tag.</summary>
    public int RtpOverhead => _tagLength;

    /// <summary>Bytes an SRTCP packet has beyond its RTCP packet: the E flag and index, and the tag.</summary>
    public int RtcpOverhead => SrtcpIndexLength + _tagLength;

    /// <summary>
    /// Prefetches what protecting or unprotecting an RTP packet reads: the source states, the salt and the cipher, all
    /// one reference from this context (see <see cref="CacheLines"/>).
    /// </summary>
    public void PrefetchRtp()
    {
        CacheLines.Prefetch(_sources, 4);
        CacheLines.Prefetch(_rtpSalt);
        CacheLines.Prefetch(_rtpGcm, AesNiGcm.CacheLineCount); // without a call on it: that would wait for the object
    }

    /// <summary>
    /// Encrypts the RTP packet in <paramref name="buffer"/>[..<paramref name="length"/>] in place and appends the tag;
    /// the buffer needs <see cref="RtpOverhead"/> bytes of room after the packet.
    /// </summary>
    public bool TryProtectRtp(Span<byte> buffer, int length, out int protectedLength, out SrtpError error)
    {
        protectedLength = 0;
        if (!TryCheckRtp(buffer, length, length, out int headerLength, out error))
            return false;
        if (buffer.Length - length < _tagLength)
            return Fail(SrtpError.BufferTooSmall, out error);
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        int slot = FindOrAddSource(ssrc);
        if (slot < 0)
            return Fail(SrtpError.TooManySources, out error);
        ref SourceState source = ref _sources[slot];
        long index = source.SentRtpIndex < 0 ? sequence : EstimateIndex(source.SentRtpIndex, sequence);
        if (index < 0)
            return Fail(SrtpError.TooOld, out error);
        if (index > MaxRtpIndex)
            return Fail(SrtpError.IndexExhausted, out error);
        source.SentRtpIndex = Math.Max(source.SentRtpIndex, index);

        uint rolloverCounter = (uint)(index >> 16);
        Span<byte> packet = buffer[..length];
        if (_rtpGcm is not null)
        {
            Span<byte> nonce = stackalloc byte[GcmCipher.NonceLength];
            RtpNonce(_rtpSalt, ssrc, rolloverCounter, sequence, nonce);
            _rtpGcm.Seal(nonce, packet[..headerLength], default, packet[headerLength..], buffer.Slice(length, GcmCipher.TagLength));
        }
        else
        {
            Span<byte> iv = stackalloc byte[CounterModeCipher.IvLength];
            CounterModeIv(_rtpSalt, ssrc, index, iv);
            _rtpCounterMode!.Transform(iv, packet[headerLength..]);
            Span<byte> roc = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(roc, rolloverCounter);
            Span<byte> hash = stackalloc byte[HmacSha1.HashLength];
            _rtpAuthentication!.Compute(packet, roc, hash);
            hash[..CmTagLength].CopyTo(buffer[length..]);
        }
        protectedLength = length + _tagLength;
        error = SrtpError.None;
        return true;
    }

    /// <summary>
    /// Checks replay and tag of the SRTP packet in <paramref name="buffer"/>[..<paramref name="length"/>] and decrypts it in place;
    /// <paramref name="plainLength"/> is the RTP packet's length. When it returns false the packet is to be dropped
    /// (its bytes may have been changed) and no state has moved.
    /// </summary>
    public bool TryUnprotectRtp(Span<byte> buffer, int length, out int plainLength, out SrtpError error)
    {
        plainLength = 0;
        if ((uint)length > (uint)buffer.Length)
            return Fail(SrtpError.Malformed, out error);
        int bodyLength = length - _tagLength;
        if (!TryCheckRtp(buffer, length, bodyLength, out int headerLength, out error))
            return false;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        int slot = FindSource(ssrc);
        if (slot < 0 && _sourceCount == MaxSources)
            return Fail(SrtpError.TooManySources, out error);
        bool seen = slot >= 0 && !_sources[slot].ReceivedRtp.IsEmpty;
        long index = seen ? EstimateIndex(_sources[slot].ReceivedRtp.Highest, sequence) : sequence;
        if (index > MaxRtpIndex)
            return Fail(SrtpError.IndexExhausted, out error);
        if (seen && (error = _sources[slot].ReceivedRtp.Check(index, _windowSize)) != SrtpError.None)
            return false;
        if (index < 0)
            return Fail(SrtpError.TooOld, out error);

        uint rolloverCounter = (uint)(index >> 16);
        Span<byte> body = buffer[..bodyLength];
        ReadOnlySpan<byte> tag = buffer.Slice(bodyLength, _tagLength);
        if (_rtpGcm is not null)
        {
            Span<byte> nonce = stackalloc byte[GcmCipher.NonceLength];
            RtpNonce(_rtpSalt, ssrc, rolloverCounter, sequence, nonce);
            if (!_rtpGcm.TryOpen(nonce, body[..headerLength], default, body[headerLength..], tag))
                return Fail(SrtpError.AuthenticationFailed, out error);
        }
        else
        {
            Span<byte> roc = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(roc, rolloverCounter);
            Span<byte> hash = stackalloc byte[HmacSha1.HashLength];
            _rtpAuthentication!.Compute(body, roc, hash);
            if (!CryptographicOperations.FixedTimeEquals(hash[..CmTagLength], tag))
                return Fail(SrtpError.AuthenticationFailed, out error);
            Span<byte> iv = stackalloc byte[CounterModeCipher.IvLength];
            CounterModeIv(_rtpSalt, ssrc, index, iv);
            _rtpCounterMode!.Transform(iv, body[headerLength..]);
        }

        // Authenticated: only now may the source's state move.
        if (slot < 0)
            slot = AddSource(ssrc);
        _sources[slot].ReceivedRtp.Accept(index);
        plainLength = bodyLength;
        error = SrtpError.None;
        return true;
    }

    /// <summary>
    /// Encrypts the (compound) RTCP packet after its first 8 bytes in place and appends E flag + SRTCP index and the tag;
    /// the buffer needs <see cref="RtcpOverhead"/> bytes of room after the packet.
    /// </summary>
    public bool TryProtectRtcp(Span<byte> buffer, int length, out int protectedLength, out SrtpError error)
    {
        protectedLength = 0;
        if (!TryCheckRtcp(buffer, length, length, out error))
            return false;
        if (buffer.Length - length < RtcpOverhead)
            return Fail(SrtpError.BufferTooSmall, out error);
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        int slot = FindOrAddSource(ssrc);
        if (slot < 0)
            return Fail(SrtpError.TooManySources, out error);
        uint index = _sources[slot].NextRtcpIndex;
        if (index > MaxRtcpIndex)
            return Fail(SrtpError.IndexExhausted, out error);
        _sources[slot].NextRtcpIndex = index + 1;

        Span<byte> packet = buffer[..length];
        Span<byte> eIndex = stackalloc byte[SrtcpIndexLength];
        BinaryPrimitives.WriteUInt32BigEndian(eIndex, SrtcpEncryptedFlag | index);
        if (_rtcpGcm is not null)
        {
            Span<byte> nonce = stackalloc byte[GcmCipher.NonceLength];
            RtcpNonce(_rtcpSalt, ssrc, index, nonce);
            _rtcpGcm.Seal(nonce, packet[..RtcpHeaderLength], eIndex, packet[RtcpHeaderLength..], buffer.Slice(length, GcmCipher.TagLength));
            eIndex.CopyTo(buffer[(length + GcmCipher.TagLength)..]);
        }
        else
        {
            Span<byte> iv = stackalloc byte[CounterModeCipher.IvLength];
            CounterModeIv(_rtcpSalt, ssrc, index, iv);
            _rtcpCounterMode!.Transform(iv, packet[RtcpHeaderLength..]);
            eIndex.CopyTo(buffer[length..]);
            Span<byte> hash = stackalloc byte[HmacSha1.HashLength];
            _rtcpAuthentication!.Compute(buffer[..(length + SrtcpIndexLength)], default, hash);
            hash[..CmTagLength].CopyTo(buffer[(length + SrtcpIndexLength)..]);
        }
        protectedLength = length + RtcpOverhead;
        error = SrtpError.None;
        return true;
    }

    /// <summary>
    /// Checks replay and tag of the SRTCP packet and decrypts it in place (unless its E flag is clear);
    /// when it returns false the packet is to be dropped (its bytes may have been changed) and no state has moved.
    /// </summary>
    public bool TryUnprotectRtcp(Span<byte> buffer, int length, out int plainLength, out SrtpError error)
    {
        plainLength = 0;
        if ((uint)length > (uint)buffer.Length)
            return Fail(SrtpError.Malformed, out error);
        int bodyLength = length - RtcpOverhead;
        if (!TryCheckRtcp(buffer, length, bodyLength, out error))
            return false;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        int slot = FindSource(ssrc);
        if (slot < 0 && _sourceCount == MaxSources)
            return Fail(SrtpError.TooManySources, out error);

        // GCM: body | tag | E+index; AES-CM: body | E+index | tag.
        int indexOffset = _rtcpGcm is not null ? length - SrtcpIndexLength : bodyLength;
        uint eIndex = BinaryPrimitives.ReadUInt32BigEndian(buffer[indexOffset..]);
        bool encrypted = (eIndex & SrtcpEncryptedFlag) != 0;
        uint index = eIndex & MaxRtcpIndex;
        if (slot >= 0 && (error = _sources[slot].ReceivedRtcp.Check(index, _windowSize)) != SrtpError.None)
            return false;

        Span<byte> body = buffer[..bodyLength];
        if (_rtcpGcm is not null)
        {
            Span<byte> nonce = stackalloc byte[GcmCipher.NonceLength];
            RtcpNonce(_rtcpSalt, ssrc, index, nonce);
            ReadOnlySpan<byte> tag = buffer.Slice(bodyLength, GcmCipher.TagLength);
            ReadOnlySpan<byte> indexField = buffer.Slice(indexOffset, SrtcpIndexLength);
            // Unencrypted SRTCP (E = 0) authenticates the whole packet as associated data (RFC 7714 §9.2).
            bool opened = encrypted
                ? _rtcpGcm.TryOpen(nonce, body[..RtcpHeaderLength], indexField, body[RtcpHeaderLength..], tag)
                : _rtcpGcm.TryOpen(nonce, body, indexField, default, tag);
            if (!opened)
                return Fail(SrtpError.AuthenticationFailed, out error);
        }
        else
        {
            Span<byte> hash = stackalloc byte[HmacSha1.HashLength];
            _rtcpAuthentication!.Compute(buffer[..(bodyLength + SrtcpIndexLength)], default, hash);
            if (!CryptographicOperations.FixedTimeEquals(hash[..CmTagLength], buffer.Slice(bodyLength + SrtcpIndexLength, CmTagLength)))
                return Fail(SrtpError.AuthenticationFailed, out error);
            if (encrypted)
            {
                Span<byte> iv = stackalloc byte[CounterModeCipher.IvLength];
                CounterModeIv(_rtcpSalt, ssrc, index, iv);
                _rtcpCounterMode!.Transform(iv, body[RtcpHeaderLength..]);
            }
        }

        if (slot < 0)
            slot = AddSource(ssrc);
        _sources[slot].ReceivedRtcp.Accept(index);
        plainLength = bodyLength;
        error = SrtpError.None;
        return true;
    }

    /// <summary>The highest authenticated RTP packet index (ROC · 2^16 + SEQ) from <paramref name="ssrc"/>, if any.</summary>
    internal bool TryGetReceivedRtpIndex(uint ssrc, out long index)
    {
        int slot = FindSource(ssrc);
        bool seen = slot >= 0 && !_sources[slot].ReceivedRtp.IsEmpty;
        index = seen ? _sources[slot].ReceivedRtp.Highest : -1;
        return seen;
    }

    /// <summary>Sets the next SRTCP index sent for <paramref name="ssrc"/> (the RFC 7714 vectors start at 0x5d4).</summary>
    internal void SetNextRtcpIndex(uint ssrc, uint index)
    {
        int slot = FindOrAddSource(ssrc);
        if (slot < 0)
            throw new InvalidOperationException("no room for another SSRC");
        _sources[slot].NextRtcpIndex = index;
    }

    /// <summary>Sets the highest RTP index sent for <paramref name="ssrc"/>, so the next packets take its rollover counter.</summary>
    internal void SetSentRtpIndex(uint ssrc, long index)
    {
        int slot = FindOrAddSource(ssrc);
        if (slot < 0)
            throw new InvalidOperationException("no room for another SSRC");
        _sources[slot].SentRtpIndex = index;
    }

    /// <summary>Drops all per-SSRC state, so a benchmark can unprotect the same batch of packets again.</summary>
    internal void ForgetSources() => _sourceCount = 0;

    public void Dispose()
    {
        _rtpCounterMode?.Dispose();
        _rtcpCounterMode?.Dispose();
        _rtpAuthentication?.Dispose();
        _rtcpAuthentication?.Dispose();
        _rtpGcm?.Dispose();
        _rtcpGcm?.Dispose();
        CryptographicOperations.ZeroMemory(_rtpSalt);
        CryptographicOperations.ZeroMemory(_rtcpSalt);
    }

    /// <summary>RFC 3711 Appendix A: the index whose ROC (one of ROC-1, ROC, ROC+1) puts SEQ closest to the highest index.</summary>
    internal static long EstimateIndex(long highest, ushort sequence)
    {
        long rolloverCounter = highest >> 16;
        int highestSequence = (int)(highest & 0xFFFF);
        long guess = rolloverCounter;
        if (highestSequence < 0x8000)
        {
            if (sequence - highestSequence > 0x8000)
                guess = rolloverCounter - 1;
        }
        else if (highestSequence - 0x8000 > sequence)
        {
            guess = rolloverCounter + 1;
        }
        return guess * 0x1_0000 + sequence;
    }

    /// <summary>IV = (salt · 2^16) XOR (SSRC · 2^64) XOR (index · 2^16), RFC 3711 §4.1.1.</summary>
    private static void CounterModeIv(ReadOnlySpan<byte> salt, uint ssrc, long index, Span<byte> iv)
    {
        iv.Clear();
        salt.CopyTo(iv);
        BinaryPrimitives.WriteUInt32BigEndian(iv[4..], BinaryPrimitives.ReadUInt32BigEndian(iv[4..]) ^ ssrc);
        BinaryPrimitives.WriteUInt16BigEndian(iv[8..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(iv[8..]) ^ (ushort)(index >> 32)));
        BinaryPrimitives.WriteUInt32BigEndian(iv[10..], BinaryPrimitives.ReadUInt32BigEndian(iv[10..]) ^ (uint)index);
    }

    /// <summary>IV = salt XOR (00 00 || SSRC || ROC || SEQ), RFC 7714 §8.1.</summary>
    private static void RtpNonce(ReadOnlySpan<byte> salt, uint ssrc, uint rolloverCounter, ushort sequence, Span<byte> nonce)
    {
        salt.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], BinaryPrimitives.ReadUInt32BigEndian(nonce[2..]) ^ ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[6..], BinaryPrimitives.ReadUInt32BigEndian(nonce[6..]) ^ rolloverCounter);
        BinaryPrimitives.WriteUInt16BigEndian(nonce[10..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(nonce[10..]) ^ sequence));
    }

    /// <summary>IV = salt XOR (00 00 || SSRC || 00 00 || 0 || SRTCP index), RFC 7714 §9.1.</summary>
    private static void RtcpNonce(ReadOnlySpan<byte> salt, uint ssrc, uint index, Span<byte> nonce)
    {
        salt.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], BinaryPrimitives.ReadUInt32BigEndian(nonce[2..]) ^ ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], BinaryPrimitives.ReadUInt32BigEndian(nonce[8..]) ^ index);
    }

    private static bool TryCheckRtp(ReadOnlySpan<byte> buffer, int length, int bodyLength, out int headerLength, out SrtpError error)
    {
        headerLength = 0;
        if ((uint)length > (uint)buffer.Length || bodyLength < RtpHeader.FixedLength)
            return Fail(SrtpError.Malformed, out error);
        if (!RtpHeader.TryGetLength(buffer[..bodyLength], out headerLength, out _))
            return Fail(SrtpError.Malformed, out error);
        error = SrtpError.None;
        return true;
    }

    private static bool TryCheckRtcp(ReadOnlySpan<byte> buffer, int length, int bodyLength, out SrtpError error)
    {
        if ((uint)length > (uint)buffer.Length || bodyLength < RtcpHeaderLength || buffer[0] >> 6 != 2)
            return Fail(SrtpError.Malformed, out error);
        error = SrtpError.None;
        return true;
    }

    private static bool Fail(SrtpError reason, out SrtpError error)
    {
        error = reason;
        return false;
    }

    private int FindSource(uint ssrc)
    {
        for (int i = 0; i < _sourceCount; i++)
            if (_sources[i].Ssrc == ssrc)
                return i;
        return -1;
    }

    private int FindOrAddSource(uint ssrc)
    {
        int slot = FindSource(ssrc);
        return slot >= 0 || _sourceCount == MaxSources ? slot : AddSource(ssrc);
    }

    private int AddSource(uint ssrc)
    {
        _sources[_sourceCount] = new SourceState { Ssrc = ssrc, SentRtpIndex = -1 };
        return _sourceCount++;
    }

    private static SessionKeys DeriveSessionKeys(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        if (!SrtpProfileInfo.IsKnown((ushort)profile))
            throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown SRTP profile");
        if (masterKey.Length != profile.KeyLength())
            throw new ArgumentException($"{profile} master key must be {profile.KeyLength()} bytes, got {masterKey.Length}", nameof(masterKey));
        if (masterSalt.Length != profile.SaltLength())
            throw new ArgumentException($"{profile} master salt must be {profile.SaltLength()} bytes, got {masterSalt.Length}", nameof(masterSalt));
        int authKeyLength = profile == SrtpProfile.AeadAes128Gcm ? 0 : HmacSha1.HashLength;
        var keys = new SessionKeys(new byte[16], new byte[masterSalt.Length], new byte[authKeyLength], new byte[16], new byte[masterSalt.Length], new byte[authKeyLength]);
        using var prf = new CounterModeCipher(masterKey);
        SrtpKeyDerivation.Derive(prf, masterSalt, SrtpKeyDerivation.RtpEncryption, keys.RtpKey);
        SrtpKeyDerivation.Derive(prf, masterSalt, SrtpKeyDerivation.RtpAuthentication, keys.RtpAuthKey);
        SrtpKeyDerivation.Derive(prf, masterSalt, SrtpKeyDerivation.RtpSalt, keys.RtpSalt);
        SrtpKeyDerivation.Derive(prf, masterSalt, SrtpKeyDerivation.RtcpEncryption, keys.RtcpKey);
        SrtpKeyDerivation.Derive(prf, masterSalt, SrtpKeyDerivation.RtcpAuthentication, keys.RtcpAuthKey);
        SrtpKeyDerivation.Derive(prf, masterSalt, SrtpKeyDerivation.RtcpSalt, keys.RtcpSalt);
        return keys;
    }

    private sealed record SessionKeys(byte[] RtpKey, byte[] RtpSalt, byte[] RtpAuthKey, byte[] RtcpKey, byte[] RtcpSalt, byte[] RtcpAuthKey)
    {
        /// <summary>Wipes what the ciphers have copied into libcrypto (the salts stay in use).</summary>
        public void Clear()
        {
            CryptographicOperations.ZeroMemory(RtpKey);
            CryptographicOperations.ZeroMemory(RtpAuthKey);
            CryptographicOperations.ZeroMemory(RtcpKey);
            CryptographicOperations.ZeroMemory(RtcpAuthKey);
        }
    }

    private struct SourceState
    {
        public uint Ssrc;
        public long SentRtpIndex;      // -1 until the first packet is protected
        public uint NextRtcpIndex;
        public ReplayWindow ReceivedRtp;
        public ReplayWindow ReceivedRtcp;
    }
}
