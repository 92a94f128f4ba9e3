using System.Buffers.Binary;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Tests.Srtp;

/// <summary>Our contexts and libsrtp2, keyed from the same master key, must read each other's packets.</summary>
public class LibSrtpCrossCheckTests
{
    private const uint Ssrc = 0xcafe0001;

    private static (byte[] Key, byte[] Salt) Keys(SrtpProfile profile) =>
        (Enumerable.Range(0, 16).Select(i => (byte)(i * 29 + 3)).ToArray(),
         Enumerable.Range(0, profile.SaltLength()).Select(i => (byte)(i * 53 + 11)).ToArray());

    private static byte[] Rtp(ushort seq, int payload)
    {
        byte[] packet = new byte[12 + payload];
        packet[0] = 0x80;
        packet[1] = (byte)(111 | (seq % 7 == 0 ? 0x80 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), seq * 960u);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), Ssrc);
        for (int i = 0; i < payload; i++)
            packet[12 + i] = (byte)(i ^ seq);
        return packet;
    }

    private static byte[] Rtcp(int n)
    {
        // SR with no report blocks, then an SDES CNAME: a compound packet as browsers send it.
        byte[] packet = new byte[28 + 16];
        packet[0] = 0x80; packet[1] = 200; packet[3] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), Ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(20), (uint)n);
        packet[28] = 0x81; packet[29] = 202; packet[31] = 3;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(32), Ssrc);
        packet[36] = 1; packet[37] = 4; "abcd"u8.CopyTo(packet.AsSpan(38));
        return packet;
    }

    private static IEnumerable<ushort> SequenceAcrossWrap() => Enumerable.Range(65500, 80).Select(s => (ushort)s);

    [LibSrtpFact]
    public void LibSrtpReadsWhatWeProtect()
    {
        foreach (SrtpProfile profile in new[] { SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm })
        {
            var (key, salt) = Keys(profile);
            using var ours = new SrtpContext(profile, key, salt);
            using var theirs = new LibSrtp.Session(profile == SrtpProfile.AeadAes128Gcm, [.. key, .. salt], outbound: false);
            int n = 0;
            foreach (ushort seq in SequenceAcrossWrap())
            {
                byte[] plain = Rtp(seq, 20 + seq % 150);
                byte[] buffer = new byte[plain.Length + SrtpContext.MaxOverhead];
                plain.CopyTo(buffer, 0);
                Assert.True(ours.TryProtectRtp(buffer, plain.Length, out int length, out _));
                int plainLength = theirs.Unprotect(buffer, length, rtcp: false);
                Assert.True(plainLength > 0, $"{profile} seq {seq}: libsrtp2 status {-plainLength}");
                Assert.Equal(plain, buffer[..plainLength]);

                byte[] report = Rtcp(n++);
                buffer = new byte[report.Length + SrtpContext.MaxOverhead];
                report.CopyTo(buffer, 0);
                Assert.True(ours.TryProtectRtcp(buffer, report.Length, out length, out _));
                plainLength = theirs.Unprotect(buffer, length, rtcp: true);
                Assert.True(plainLength > 0, $"{profile} RTCP {n}: libsrtp2 status {-plainLength}");
                Assert.Equal(report, buffer[..plainLength]);
            }
        }
    }

    [LibSrtpFact]
    public void WeReadWhatLibSrtpProtects()
    {
        foreach (SrtpProfile profile in new[] { SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm })
        {
            var (key, salt) = Keys(profile);
            using var ours = new SrtpContext(profile, key, salt);
            using var theirs = new LibSrtp.Session(profile == SrtpProfile.AeadAes128Gcm, [.. key, .. salt], outbound: true);
            int n = 0;
            foreach (ushort seq in SequenceAcrossWrap())
            {
                byte[] plain = Rtp(seq, 20 + seq % 150);
                byte[] buffer = new byte[plain.Length + 64];
                plain.CopyTo(buffer, 0);
                int length = theirs.Protect(buffer, plain.Length, rtcp: false);
                Assert.True(length > 0);
                Assert.True(ours.TryUnprotectRtp(buffer, length, out int plainLength, out var error), $"{profile} seq {seq}: {error}");
                Assert.Equal(plain, buffer[..plainLength]);

                byte[] report = Rtcp(n++);
                buffer = new byte[report.Length + 64];
                report.CopyTo(buffer, 0);
                length = theirs.Protect(buffer, report.Length, rtcp: true);
                Assert.True(length > 0);
                Assert.True(ours.TryUnprotectRtcp(buffer, length, out plainLength, out error), $"{profile} RTCP {n}: {error}");
                Assert.Equal(report, buffer[..plainLength]);
            }
            Assert.True(ours.TryGetReceivedRtpIndex(Ssrc, out long highest));
            Assert.Equal((1L << 16) | 43, highest); // 65500 + 79 = 65579 = ROC 1, SEQ 43
        }
    }
}
