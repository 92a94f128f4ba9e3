using System.Buffers.Binary;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Tests.Srtp;

public class SrtpContextTests
{
    private const uint Ssrc = 0x5eed1234;
    private const int PayloadLength = 160;

    public static TheoryData<SrtpProfile> Profiles => new() { SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm };

    private static (SrtpContext Sender, SrtpContext Receiver) Pair(SrtpProfile profile, int window = 128)
    {
        byte[] key = Enumerable.Range(0, 16).Select(i => (byte)(0x11 * i + 7)).ToArray();
        byte[] salt = Enumerable.Range(0, profile.SaltLength()).Select(i => (byte)(0x3d * i + 5)).ToArray();
        return (new SrtpContext(profile, key, salt, window), new SrtpContext(profile, key, salt, window));
    }

    private static byte[] Plain(ushort seq, uint ssrc = Ssrc, int payload = PayloadLength)
    {
        byte[] packet = new byte[12 + payload];
        packet[0] = 0x80;
        packet[1] = 111;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), seq * 960u);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        for (int i = 0; i < payload; i++)
            packet[12 + i] = (byte)(i * 37 + seq);
        return packet;
    }

    private static byte[] Protect(SrtpContext sender, byte[] plain)
    {
        byte[] buffer = new byte[plain.Length + SrtpContext.MaxOverhead];
        plain.CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtp(buffer, plain.Length, out int length, out var error), error.ToString());
        Assert.Equal(plain.Length + sender.RtpOverhead, length);
        return buffer[..length];
    }

    private static SrtpError Unprotect(SrtpContext receiver, byte[] packet, byte[]? expected = null)
    {
        byte[] buffer = packet.ToArray();
        bool ok = receiver.TryUnprotectRtp(buffer, buffer.Length, out int length, out var error);
        Assert.Equal(ok, error == SrtpError.None);
        if (ok && expected is not null)
            Assert.Equal(expected, buffer[..length]);
        return error;
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void RtpRoundTripsAndPayloadIsEncrypted(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            for (ushort seq = 1000; seq < 1010; seq++)
            {
                byte[] plain = Plain(seq);
                byte[] packet = Protect(sender, plain);
                Assert.Equal(plain[..12], packet[..12]);
                Assert.NotEqual(plain[12..], packet[12..(12 + PayloadLength)]);
                Assert.Equal(SrtpError.None, Unprotect(receiver, packet, plain));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void RtpWithCsrcsAndExtensionKeepsHeaderInClear(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] plain = [0x91, 111, 0, 5, 0, 0, 0, 9, 0x5e, 0xed, 0x12, 0x34, 1, 2, 3, 4, 0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0, 9, 8, 7, 6];
            byte[] packet = Protect(sender, plain);
            Assert.Equal(plain[..24], packet[..24]);
            Assert.NotEqual(plain[24..], packet[24..28]);
            Assert.Equal(SrtpError.None, Unprotect(receiver, packet, plain));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void ReplayedPacketIsRejected(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] packet = Protect(sender, Plain(7));
            Assert.Equal(SrtpError.None, Unprotect(receiver, packet));
            Assert.Equal(SrtpError.Replayed, Unprotect(receiver, packet));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void PacketBehindTheWindowIsRejected(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile, window: 64);
        using (sender)
        using (receiver)
        {
            byte[] old = Protect(sender, Plain(100));
            byte[] edge = Protect(sender, Plain(137));
            byte[] newest = Protect(sender, Plain(200));
            Assert.Equal(SrtpError.None, Unprotect(receiver, newest));
            Assert.Equal(SrtpError.TooOld, Unprotect(receiver, old));
            Assert.Equal(SrtpError.None, Unprotect(receiver, edge)); // 63 behind: the last slot of a 64-packet window
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void ReorderedPacketsWithinTheWindowAreAcceptedOnce(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var packets = Enumerable.Range(0, 130).Select(i => Protect(sender, Plain((ushort)(500 + i)))).ToArray();
            Assert.Equal(SrtpError.None, Unprotect(receiver, packets[129]));
            for (int i = 128; i >= 2; i -= 3) // 127 behind is the window's last slot
                Assert.Equal(SrtpError.None, Unprotect(receiver, packets[i]));
            for (int i = 128; i >= 2; i -= 3)
                Assert.Equal(SrtpError.Replayed, Unprotect(receiver, packets[i]));
            Assert.Equal(SrtpError.Replayed, Unprotect(receiver, packets[2]));
            Assert.Equal(SrtpError.None, Unprotect(receiver, packets[3]));
            Assert.Equal(SrtpError.TooOld, Unprotect(receiver, packets[1])); // 128 behind
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void TamperedByteAnywhereIsRejectedAndMovesNoState(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            Assert.Equal(SrtpError.None, Unprotect(receiver, Protect(sender, Plain(10))));
            byte[] next = Plain(11);
            byte[] packet = Protect(sender, next);
            for (int i = 0; i < packet.Length; i++)
            {
                byte[] forged = packet.ToArray();
                forged[i] ^= 0x04;
                SrtpError error = Unprotect(receiver, forged);
                Assert.True(error is SrtpError.AuthenticationFailed or SrtpError.Malformed or SrtpError.TooOld, $"byte {i}: {error}");
                Assert.True(receiver.TryGetReceivedRtpIndex(Ssrc, out long highest));
                Assert.Equal(10, highest);
            }
            Assert.Equal(SrtpError.None, Unprotect(receiver, packet, next));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void ForgedPacketWithWrappedSequenceDoesNotAdvanceRolloverCounter(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            Assert.Equal(SrtpError.None, Unprotect(receiver, Protect(sender, Plain(65500))));
            // seq 5 after 65500 is estimated at ROC 1: a forged one must leave ROC at 0.
            byte[] forged = Protect(sender, Plain(5));
            forged[^1] ^= 1;
            Assert.Equal(SrtpError.AuthenticationFailed, Unprotect(receiver, forged));
            Assert.True(receiver.TryGetReceivedRtpIndex(Ssrc, out long highest));
            Assert.Equal(65500, highest);
            Assert.Equal(SrtpError.None, Unprotect(receiver, Protect(sender, Plain(65501))));
            Assert.True(receiver.TryGetReceivedRtpIndex(Ssrc, out highest));
            Assert.Equal(65501, highest);
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void RolloverCounterAdvancesAcrossSequenceWrapOnBothSides(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            ushort[] order = [65533, 65534, 65535, 0, 1, 2];
            var packets = order.Select(s => (Seq: s, Plain: Plain(s), Packet: Protect(sender, Plain(s)))).ToArray();
            // deliver out of order across the wrap: 65533, 0, 65535, 1, 65534, 2
            foreach (int i in new[] { 0, 3, 2, 4, 1, 5 })
                Assert.Equal(SrtpError.None, Unprotect(receiver, packets[i].Packet, packets[i].Plain));
            Assert.True(receiver.TryGetReceivedRtpIndex(Ssrc, out long highest));
            Assert.Equal((1L << 16) | 2, highest);
            // a late packet from before the wrap is a replay, not a new ROC-1 packet
            Assert.Equal(SrtpError.Replayed, Unprotect(receiver, packets[2].Packet));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void PacketEncryptedUnderTheWrongRolloverCounterFails(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            // The sender is at ROC 2; a receiver starting fresh assumes ROC 0, so the tag cannot verify.
            sender.SetSentRtpIndex(Ssrc, (2L << 16) | 10);
            Assert.Equal(SrtpError.AuthenticationFailed, Unprotect(receiver, Protect(sender, Plain(11))));
            Assert.False(receiver.TryGetReceivedRtpIndex(Ssrc, out _));
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void RtcpRoundTripsWithIncreasingIndexAndRejectsReplay(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] rr = [0x81, 201, 0, 7, 0x5e, 0xed, 0x12, 0x34, 1, 2, 3, 4, 0, 0, 0, 1, 0, 0, 0x10, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0];
            var sent = new List<byte[]>();
            for (int n = 0; n < 3; n++)
            {
                byte[] buffer = new byte[rr.Length + SrtpContext.MaxOverhead];
                rr.CopyTo(buffer, 0);
                Assert.True(sender.TryProtectRtcp(buffer, rr.Length, out int length, out var error), error.ToString());
                Assert.Equal(rr.Length + sender.RtcpOverhead, length);
                int indexAt = profile == SrtpProfile.AeadAes128Gcm ? length - 4 : rr.Length;
                Assert.Equal(0x8000_0000u | (uint)n, BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(indexAt)));
                Assert.NotEqual(rr[8..], buffer[8..rr.Length]);
                sent.Add(buffer[..length]);
            }
            foreach (int n in new[] { 2, 0, 1 })
            {
                byte[] copy = sent[n].ToArray();
                Assert.True(receiver.TryUnprotectRtcp(copy, copy.Length, out int plain, out var error), error.ToString());
                Assert.Equal(rr, copy[..plain]);
            }
            byte[] again = sent[1].ToArray();
            Assert.False(receiver.TryUnprotectRtcp(again, again.Length, out _, out var replay));
            Assert.Equal(SrtpError.Replayed, replay);

            byte[] forged = sent[0].ToArray();
            forged[9] ^= 0x80;
            Assert.False(receiver.TryUnprotectRtcp(forged, forged.Length, out _, out var bad));
            Assert.Equal(SrtpError.Replayed, bad); // index 0 was already accepted: rejected before the tag is even checked
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void RtcpTamperedIsRejected(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] bye = [0x81, 203, 0, 1, 0x5e, 0xed, 0x12, 0x34];
            byte[] buffer = new byte[bye.Length + SrtpContext.MaxOverhead];
            bye.CopyTo(buffer, 0);
            Assert.True(sender.TryProtectRtcp(buffer, bye.Length, out int length, out _));
            for (int i = 0; i < length; i++)
            {
                byte[] forged = buffer[..length];
                forged[i] ^= 0x01;
                Assert.False(receiver.TryUnprotectRtcp(forged, forged.Length, out _, out var error));
                Assert.True(error is SrtpError.AuthenticationFailed or SrtpError.Malformed, $"byte {i}: {error}");
            }
            byte[] good = buffer[..length];
            Assert.True(receiver.TryUnprotectRtcp(good, good.Length, out int plain, out _));
            Assert.Equal(bye, good[..plain]);
        }
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void SourcesBeyondTheLimitAreDropped(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            for (uint s = 0; s < SrtpContext.MaxSources; s++)
                Assert.Equal(SrtpError.None, Unprotect(receiver, Protect(sender, Plain(1, 100 + s))));
            byte[] buffer = new byte[12 + 160 + SrtpContext.MaxOverhead];
            Plain(1, 999).CopyTo(buffer, 0);
            Assert.False(sender.TryProtectRtp(buffer, 172, out _, out var error));
            Assert.Equal(SrtpError.TooManySources, error);
            // known sources keep working
            Assert.Equal(SrtpError.None, Unprotect(receiver, Protect(sender, Plain(2, 100))));
        }
    }

    [Fact]
    public void ForgedPacketsFromNewSourcesTakeNoSlot()
    {
        var (sender, receiver) = Pair(SrtpProfile.Aes128CmHmacSha1_80);
        using (sender)
        using (receiver)
        {
            var random = new Random(7);
            for (int i = 0; i < 100; i++)
            {
                byte[] forged = Plain(1, (uint)random.Next());
                Array.Resize(ref forged, forged.Length + 10);
                Assert.Equal(SrtpError.AuthenticationFailed, Unprotect(receiver, forged));
            }
            Assert.Equal(SrtpError.None, Unprotect(receiver, Protect(sender, Plain(1))));
        }
    }

    public static TheoryData<string, byte[], SrtpError> MalformedRtp => new()
    {
        { "empty", [], SrtpError.Malformed },
        { "shorter than header + tag", new byte[20], SrtpError.Malformed },
        { "version 1", [0x40, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, .. new byte[20]], SrtpError.Malformed },
        { "CSRC count past end", [0x8F, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, .. new byte[20]], SrtpError.Malformed },
        { "extension past end", [0x90, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 9, .. new byte[16]], SrtpError.Malformed },
        { "header + tag only, bad tag", [0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, .. new byte[16]], SrtpError.AuthenticationFailed },
    };

    [Theory]
    [MemberData(nameof(MalformedRtp))]
    public void MalformedRtpIsRejected(string name, byte[] packet, SrtpError expected)
    {
        var (_, receiver) = Pair(SrtpProfile.AeadAes128Gcm);
        using (receiver)
        {
            byte[] buffer = packet.ToArray();
            Assert.False(receiver.TryUnprotectRtp(buffer, buffer.Length, out _, out var error), name);
            Assert.Equal(expected, error);
        }
    }

    [Fact]
    public void BadArgumentsAreErrorsNotExceptions()
    {
        var (sender, receiver) = Pair(SrtpProfile.AeadAes128Gcm);
        using (sender)
        using (receiver)
        {
            byte[] plain = Plain(1);
            Assert.False(sender.TryProtectRtp(plain, plain.Length, out _, out var error));
            Assert.Equal(SrtpError.BufferTooSmall, error);
            Assert.False(sender.TryProtectRtp(plain, plain.Length + 1, out _, out error));
            Assert.Equal(SrtpError.Malformed, error);
            Assert.False(receiver.TryUnprotectRtp(plain, -1, out _, out error));
            Assert.Equal(SrtpError.Malformed, error);
            Assert.False(sender.TryProtectRtcp(new byte[40], 4, out _, out error));
            Assert.Equal(SrtpError.Malformed, error);
        }
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(20261125);
        foreach (SrtpProfile profile in new[] { SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm })
        {
            var (sender, receiver) = Pair(profile);
            using (sender)
            using (receiver)
            {
                byte[] buffer = new byte[300];
                for (int i = 0; i < 2500; i++)
                {
                    int length = random.Next(0, 260);
                    random.NextBytes(buffer);
                    if (i % 2 == 0)
                        buffer[0] = (byte)(0x80 | (buffer[0] & 0x3F)); // mostly version 2, to get past the first check
                    // A random tag verifies with probability 2^-80: every one of these must be refused with a reason.
                    Assert.False(receiver.TryUnprotectRtp(buffer, length, out _, out var e1));
                    Assert.NotEqual(SrtpError.None, e1);
                    Assert.False(receiver.TryUnprotectRtcp(buffer, length, out _, out var e2));
                    Assert.NotEqual(SrtpError.None, e2);
                    sender.TryProtectRtp(buffer, length, out _, out _);
                    sender.TryProtectRtcp(buffer, length, out _, out _);
                }
            }
        }
    }

    [Fact]
    public void CorpusInputsAreRefused()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "corpus", "srtp");
        Assert.True(Directory.Exists(folder), folder);
        foreach (SrtpProfile profile in new[] { SrtpProfile.Aes128CmHmacSha1_80, SrtpProfile.AeadAes128Gcm })
        {
            var (_, receiver) = Pair(profile);
            using (receiver)
            {
                foreach (string file in Directory.EnumerateFiles(folder, "*.bin"))
                {
                    byte[] bytes = File.ReadAllBytes(file);
                    Assert.False(receiver.TryUnprotectRtp(bytes, bytes.Length, out _, out _), file);
                    Assert.False(receiver.TryUnprotectRtcp(bytes, bytes.Length, out _, out _), file);
                }
            }
        }
    }

    [Fact]
    public void CryptoLibraryIsPresent() => Assert.True(SrtpContext.IsSupported, SrtpContext.NotSupportedReason);

    [Fact]
    public void ContextRejectsWrongKeyLengths()
    {
        Assert.Throws<ArgumentException>(() => new SrtpContext(SrtpProfile.Aes128CmHmacSha1_80, new byte[15], new byte[14]));
        Assert.Throws<ArgumentException>(() => new SrtpContext(SrtpProfile.AeadAes128Gcm, new byte[16], new byte[14]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SrtpContext(SrtpProfile.AeadAes128Gcm, new byte[16], new byte[12], replayWindowSize: 32));
    }

    [Theory]
    [InlineData(0x0000_1234L, 0x1235, 0x0000_1235L)]
    [InlineData(0x0000_FFF0L, 0x0002, 0x0001_0002L)]
    [InlineData(0x0001_0002L, 0xFFF0, 0x0000_FFF0L)]
    [InlineData(0x0000_0005L, 0xFFF0, -0x10L)]
    [InlineData(0x0003_8000L, 0x0000, 0x0003_0000L)]
    [InlineData(0x0003_8001L, 0x0000, 0x0004_0000L)]
    public void IndexEstimationFollowsRfc3711AppendixA(long highest, int sequence, long expected) =>
        Assert.Equal(expected, SrtpContext.EstimateIndex(highest, (ushort)sequence));
}
