using EdgeVoice.WebRtc.Rtp;

namespace EdgeVoice.WebRtc.Tests.Rtp;

public class RtcpTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", ""));

    // A compound packet laid out by hand from RFC 3550 §6.4.1, §6.5, §6.6 and an RFC 4585 NACK:
    // SR (1 report block) | SDES (CNAME "abc") | RTPFB NACK (skipped) | BYE (1 SSRC, reason "bye").
    private const string Compound =
        "81C8000C 11223344 E1234567 89ABCDEF 00001000 00000064 00003E80" +   // SR header, SSRC, NTP, RTP ts, packets 100, octets 16000
        "55667788 40FFFFFE 0001FFFF 00000020 45678901 00000800" +            // block: fraction 64, lost -2, ext seq 0x1FFFF, jitter 32, LSR, DLSR
        "81CA0003 11223344 01036162 63000000" +                              // SDES: chunk SSRC, CNAME len 3 "abc", END, pad
        "81CD0003 11223344 55667788 00050000" +                              // RTPFB fmt 1 (NACK), PID 5
        "81CB0002 11223344 03627965";                                        // BYE with reason "bye"

    [Fact]
    public void ReadsCompoundPacket()
    {
        var reader = new RtcpCompoundReader(Hex(Compound));
        var types = new List<RtcpPacketType>();
        while (reader.TryReadNext(out var packet, out var error))
        {
            Assert.Equal(RtpError.None, error);
            types.Add(packet.PacketType);
            switch (packet.PacketType)
            {
                case RtcpPacketType.SenderReport:
                    Assert.True(RtcpSenderReport.TryParse(packet, out var sr, out error), error.ToString());
                    Assert.Equal(0x11223344u, sr.Ssrc);
                    Assert.Equal(0xE123456789ABCDEFul, sr.NtpTimestamp);
                    Assert.Equal(0x456789ABu, sr.CompactNtp);
                    Assert.Equal(0x1000u, sr.RtpTimestamp);
                    Assert.Equal(100u, sr.PacketCount);
                    Assert.Equal(16000u, sr.OctetCount);
                    Assert.Equal(1, sr.ReportCount);
                    Assert.Equal(new RtcpReportBlock(0x55667788, 64, -2, 0x1FFFF, 32, 0x45678901, 0x800), sr.GetReportBlock(0));
                    break;
                case RtcpPacketType.SourceDescription:
                    Assert.True(RtcpSourceDescription.TryParse(packet, out var sdes, out error), error.ToString());
                    Assert.Equal(1, sdes.ChunkCount);
                    Assert.Equal(0x11223344u, sdes.GetChunk(0, out var cname));
                    Assert.Equal("abc"u8.ToArray(), cname.ToArray());
                    break;
                case RtcpPacketType.Goodbye:
                    Assert.True(RtcpGoodbye.TryParse(packet, out var bye, out error), error.ToString());
                    Assert.Equal(1, bye.SourceCount);
                    Assert.Equal(0x11223344u, bye.GetSource(0));
                    Assert.Equal("bye"u8.ToArray(), bye.Reason.ToArray());
                    break;
                case RtcpPacketType.TransportFeedback:
                    Assert.Equal(1, packet.Count);
                    Assert.Equal(12, packet.Body.Length);
                    break;
            }
        }
        Assert.Equal([RtcpPacketType.SenderReport, RtcpPacketType.SourceDescription, RtcpPacketType.TransportFeedback, RtcpPacketType.Goodbye], types);
        Assert.True(RtcpCompoundReader.Validate(Hex(Compound), out var validation), validation.ToString());
    }

    public static TheoryData<string, string, RtpError> Malformed => new()
    {
        { "empty datagram", "", RtpError.Empty },
        { "shorter than a header", "81C8", RtpError.Truncated },
        { "version 1", "41C90001 11223344", RtpError.BadVersion },
        { "length past end", "80C90002 11223344", RtpError.BadLength },
        { "second packet's length past end", "80C90001 11223344 80CA0005 11223344", RtpError.BadLength },
        { "trailing bytes after last packet", "80C90001 11223344 80", RtpError.Truncated },
        { "padding count zero", "A0C90001 11223300", RtpError.BadPadding },
        { "padding past header", "A0C90001 11223308", RtpError.BadPadding },
        { "SR shorter than sender info", "80C80001 11223344", RtpError.BadLength },
        { "SR count past end", "81C80006 11223344 00000000 00000000 00000000 00000000 00000000", RtpError.BadCount },
        { "RR count past end", "82C90007 11223344 00000000 00000000 00000000 00000000 00000000 00000000", RtpError.BadCount },
        { "RR without SSRC", "80C90000", RtpError.BadLength },
        { "SDES chunk past end", "82CA0003 11223344 01036162 63000000", RtpError.BadSourceDescription },
        { "SDES item past end", "81CA0002 11223344 01096162", RtpError.BadSourceDescription },
        { "SDES item not terminated", "81CA0002 11223344 01026162", RtpError.BadSourceDescription },
        { "BYE count past end", "82CB0001 11223344", RtpError.BadCount },
        { "BYE reason past end", "81CB0002 11223344 09627965", RtpError.BadLength },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedRtcpIsRejected(string name, string hex, RtpError expected)
    {
        Assert.False(RtcpCompoundReader.Validate(Hex(hex), out var error), name);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void BuiltCompoundPacketParsesBack()
    {
        byte[] buffer = new byte[512];
        RtcpReportBlock[] blocks =
        [
            new(0xAAAA0001, 25, 1234, 0x0002_0010, 77, 0x12345678, 65536),
            new(0xAAAA0002, 0, -5, 7, 0, 0, 0),
        ];
        int at = RtcpSenderReport.Write(buffer, 0x01020304, 0xE1234567_89ABCDEF, 48000, 50, 8000, blocks);
        Assert.Equal(28 + 48, at);
        at += RtcpReceiverReport.Write(buffer.AsSpan(at), 0x01020304, blocks[..1]);
        at += RtcpSourceDescription.WriteCname(buffer.AsSpan(at), 0x01020304, "edgevoice-relay"u8);
        at += RtcpGoodbye.Write(buffer.AsSpan(at), [0x01020304u, 0x05060708u], "done"u8);
        at += RtcpGoodbye.Write(buffer.AsSpan(at), [0x09u]);
        Assert.Equal(0, at % 4);
        Assert.True(RtcpCompoundReader.Validate(buffer.AsSpan(0, at), out var error), error.ToString());

        var reader = new RtcpCompoundReader(buffer.AsSpan(0, at));
        Assert.True(reader.TryReadNext(out var packet, out _));
        Assert.True(RtcpSenderReport.TryParse(packet, out var sr, out _));
        Assert.Equal((0x01020304u, 0xE1234567_89ABCDEFul, 48000u, 50u, 8000u), (sr.Ssrc, sr.NtpTimestamp, sr.RtpTimestamp, sr.PacketCount, sr.OctetCount));
        Assert.Equal(blocks[0], sr.GetReportBlock(0));
        Assert.Equal(blocks[1], sr.GetReportBlock(1));
        Assert.True(reader.TryReadNext(out packet, out _));
        Assert.True(RtcpReceiverReport.TryParse(packet, out var rr, out _));
        Assert.Equal(1, rr.ReportCount);
        Assert.Equal(blocks[0], rr.GetReportBlock(0));
        Assert.False(RtcpSenderReport.TryParse(packet, out _, out error));
        Assert.Equal(RtpError.WrongPacketType, error);
        Assert.True(reader.TryReadNext(out packet, out _));
        Assert.True(RtcpSourceDescription.TryParse(packet, out var sdes, out _));
        Assert.Equal(0x01020304u, sdes.GetChunk(0, out var cname));
        Assert.Equal("edgevoice-relay"u8.ToArray(), cname.ToArray());
        Assert.True(reader.TryReadNext(out packet, out _));
        Assert.True(RtcpGoodbye.TryParse(packet, out var bye, out _));
        Assert.Equal((2, 0x05060708u), (bye.SourceCount, bye.GetSource(1)));
        Assert.Equal("done"u8.ToArray(), bye.Reason.ToArray());
        Assert.True(reader.TryReadNext(out packet, out _));
        Assert.True(RtcpGoodbye.TryParse(packet, out bye, out _));
        Assert.Equal(0, bye.Reason.Length);
        Assert.False(reader.TryReadNext(out _, out error));
        Assert.Equal(RtpError.None, error);
    }

    [Fact]
    public void CnameLengthsPadToWordBoundary()
    {
        byte[] buffer = new byte[300];
        for (int length = 0; length <= 255; length += 1)
        {
            byte[] cname = Enumerable.Repeat((byte)'x', length).ToArray();
            int written = RtcpSourceDescription.WriteCname(buffer, 7, cname);
            Assert.Equal(0, written % 4);
            var reader = new RtcpCompoundReader(buffer.AsSpan(0, written));
            Assert.True(reader.TryReadNext(out var packet, out _));
            Assert.True(RtcpSourceDescription.TryParse(packet, out var sdes, out var error), $"{length}: {error}");
            Assert.Equal(7u, sdes.GetChunk(0, out var read));
            Assert.Equal(length, read.Length);
        }
    }

    [Fact]
    public void CumulativeLostIsClampedTo24Bits()
    {
        byte[] buffer = new byte[24];
        new RtcpReportBlock(1, 0, 10_000_000, 0, 0, 0, 0).WriteTo(buffer);
        Assert.Equal(new byte[] { 0x00, 0x7F, 0xFF, 0xFF }, buffer[4..8]);
        Assert.Equal(0x7FFFFF, RtcpReportBlock.Read(buffer).CumulativeLost);
        new RtcpReportBlock(1, 0, -10_000_000, 0, 0, 0, 0).WriteTo(buffer);
        Assert.Equal(-0x800000, RtcpReportBlock.Read(buffer).CumulativeLost);
    }

    [Fact]
    public void RandomBytesNeverThrow()
    {
        var random = new Random(4585);
        byte[] buffer = new byte[256];
        int accepted = 0;
        for (int i = 0; i < 5000; i++)
        {
            random.NextBytes(buffer);
            int length = random.Next(0, buffer.Length + 1) & ~3;
            // Mostly well-formed headers so the type parsers get exercised, not just the version check.
            for (int at = 0; at + 4 <= length && i % 2 == 0;)
            {
                int words = random.Next(0, (length - at) / 4);
                buffer[at] = (byte)(0x80 | (buffer[at] & 0x1F));
                buffer[at + 1] = (byte)(200 + random.Next(7));
                buffer[at + 2] = 0;
                buffer[at + 3] = (byte)words;
                at += 4 * (words + 1);
            }
            bool ok = RtcpCompoundReader.Validate(buffer.AsSpan(0, length), out var error);
            Assert.Equal(ok, error == RtpError.None);
            if (ok)
            {
                accepted++;
                var reader = new RtcpCompoundReader(buffer.AsSpan(0, length));
                while (reader.TryReadNext(out var packet, out _))
                {
                    if (RtcpSenderReport.TryParse(packet, out var sr, out _))
                        for (int b = 0; b < sr.ReportCount; b++)
                            sr.GetReportBlock(b);
                    if (RtcpSourceDescription.TryParse(packet, out var sdes, out _))
                        for (int c = 0; c < sdes.ChunkCount; c++)
                            sdes.GetChunk(c, out _);
                    if (RtcpGoodbye.TryParse(packet, out var bye, out _))
                        for (int s = 0; s < bye.SourceCount; s++)
                            bye.GetSource(s);
                }
            }
        }
        Assert.InRange(accepted, 100, 4900); // the generator reaches both outcomes
    }
}
