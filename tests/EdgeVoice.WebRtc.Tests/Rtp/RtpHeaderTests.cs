using EdgeVoice.WebRtc.Rtp;

namespace EdgeVoice.WebRtc.Tests.Rtp;

public class RtpHeaderTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", ""));

    [Fact]
    public void ParsesFixedHeader()
    {
        // V=2 P=0 X=0 CC=0 | M=1 PT=111 | seq 0x1234 | ts 0xDEADBEEF | SSRC 0x01020304 | 3 payload bytes
        byte[] packet = Hex("80EF1234 DEADBEEF 01020304 AABBCC");
        Assert.True(RtpHeader.TryParse(packet, out var header, out var error), error.ToString());
        Assert.True(header.Marker);
        Assert.Equal(111, header.PayloadType);
        Assert.Equal(0x1234, header.SequenceNumber);
        Assert.Equal(0xDEADBEEFu, header.Timestamp);
        Assert.Equal(0x01020304u, header.Ssrc);
        Assert.Equal(0, header.CsrcCount);
        Assert.False(header.HasExtension);
        Assert.Equal(12, header.PayloadOffset);
        Assert.Equal(3, header.PayloadLength);
        Assert.Equal(0, header.PaddingLength);
    }

    [Fact]
    public void ParsesCsrcsExtensionAndPadding()
    {
        // V=2 P=1 X=1 CC=2, PT 96, two CSRCs, one-byte extension (0xBEDE, 1 word), 2 payload bytes, 3 padding bytes (count 3).
        byte[] packet = Hex("B2600001 00000010 0000000A 11111111 22222222 BEDE0001 10FF0000 5566 000003");
        Assert.True(RtpHeader.TryParse(packet, out var header, out var error), error.ToString());
        Assert.False(header.Marker);
        Assert.Equal(96, header.PayloadType);
        Assert.Equal(2, header.CsrcCount);
        Assert.Equal(0x11111111u, header.GetCsrc(0));
        Assert.Equal(0x22222222u, header.GetCsrc(1));
        Assert.True(header.HasExtension);
        Assert.Equal(0xBEDE, header.ExtensionProfile);
        Assert.Equal(4, header.ExtensionLength);
        Assert.Equal(28, header.HeaderLength);
        Assert.Equal(2, header.PayloadLength);
        Assert.Equal(3, header.PaddingLength);
        Assert.True(header.HasPadding);
        Assert.Throws<ArgumentOutOfRangeException>(() => header.GetCsrc(2));
    }

    public static TheoryData<string, string, RtpError> Malformed => new()
    {
        { "empty", "", RtpError.Truncated },
        { "truncated fixed header", "80EF1234 DEADBEEF 010203", RtpError.Truncated },
        { "version 0", "00EF1234 DEADBEEF 01020304", RtpError.BadVersion },
        { "version 3", "C0EF1234 DEADBEEF 01020304", RtpError.BadVersion },
        { "CSRC count past end", "83EF1234 DEADBEEF 01020304 11111111 22222222", RtpError.CsrcPastEnd },
        { "extension header past end", "90EF1234 DEADBEEF 01020304 BEDE", RtpError.ExtensionPastEnd },
        { "extension length past end", "90EF1234 DEADBEEF 01020304 BEDE0002 10FF0000", RtpError.ExtensionPastEnd },
        { "padding count zero", "A0EF1234 DEADBEEF 01020304 AABB00", RtpError.BadPadding },
        { "padding larger than payload", "A0EF1234 DEADBEEF 01020304 AABB04", RtpError.BadPadding },
        { "padding bit, no payload", "A0EF1234 DEADBEEF 01020304", RtpError.BadPadding },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedRtpIsRejected(string name, string hex, RtpError expected)
    {
        Assert.False(RtpHeader.TryParse(Hex(hex), out _, out var error), name);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void PaddingFillingTheWholePayloadIsAccepted()
    {
        Assert.True(RtpHeader.TryParse(Hex("A0EF1234 DEADBEEF 01020304 AABB03"), out var header, out _));
        Assert.Equal(0, header.PayloadLength);
        Assert.Equal(3, header.PaddingLength);
    }

    [Fact]
    public void WrittenHeaderParsesBackEqual()
    {
        var header = new RtpHeader(111, 65535, 0xFFFFFFFF, 0xCAFEBABE, marker: true, [1u, 2u, 0xFFFFFFFFu]);
        byte[] buffer = new byte[header.HeaderLength + 5];
        Assert.Equal(24, header.WriteTo(buffer));
        Assert.True(RtpHeader.TryParse(buffer, out var parsed, out _));
        Assert.Equal(header.SequenceNumber, parsed.SequenceNumber);
        Assert.Equal(3, parsed.CsrcCount);
        Assert.Equal(0xFFFFFFFFu, parsed.GetCsrc(2));
        byte[] again = new byte[buffer.Length];
        parsed.WriteTo(again);
        Assert.Equal(buffer[..24], again[..24]);
        Assert.Throws<ArgumentException>(() => header.WriteTo(new byte[23]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RtpHeader(128, 0, 0, 0));
    }

    [Fact]
    public void RandomHeadersRoundTrip()
    {
        var random = new Random(3550);
        for (int i = 0; i < 3000; i++)
        {
            uint[] csrcs = Enumerable.Range(0, random.Next(16)).Select(_ => (uint)random.NextInt64(0, 1L << 32)).ToArray();
            var header = new RtpHeader((byte)random.Next(128), (ushort)random.Next(65536), (uint)random.NextInt64(0, 1L << 32),
                (uint)random.NextInt64(0, 1L << 32), random.Next(2) == 1, csrcs);
            byte[] buffer = new byte[header.HeaderLength + random.Next(0, 50)];
            int written = header.WriteTo(buffer);
            Assert.True(RtpHeader.TryParse(buffer, out var parsed, out var error), error.ToString());
            Assert.Equal(buffer.Length - written, parsed.PayloadLength);
            byte[] rewritten = new byte[written];
            parsed.WriteTo(rewritten);
            Assert.Equal(buffer[..written], rewritten);
            Assert.True(RtpHeader.TryParse(buffer, out var reparsed, out _));
            Assert.Equal(parsed, reparsed);
        }
    }

    [Fact]
    public void RandomBytesNeverThrowAndAcceptedHeadersAreConsistent()
    {
        var random = new Random(20261125);
        byte[] buffer = new byte[200];
        for (int i = 0; i < 5000; i++)
        {
            random.NextBytes(buffer);
            if (i % 2 == 0)
                buffer[0] = (byte)(0x80 | (buffer[0] & 0x3F));
            var packet = buffer.AsSpan(0, random.Next(0, buffer.Length));
            if (RtpHeader.TryParse(packet, out var header, out var error))
            {
                Assert.Equal(RtpError.None, error);
                Assert.Equal(packet.Length, header.HeaderLength + header.PayloadLength + header.PaddingLength);
                Assert.True(header.PayloadLength >= 0);
            }
            else
            {
                Assert.NotEqual(RtpError.None, error);
            }
        }
    }

    [Fact]
    public void CorpusInputsNeverThrow()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "corpus", "rtp");
        Assert.True(Directory.Exists(folder), folder);
        foreach (string file in Directory.EnumerateFiles(folder, "*.bin"))
        {
            byte[] bytes = File.ReadAllBytes(file);
            RtpHeader.TryParse(bytes, out _, out _);
            RtcpCompoundReader.Validate(bytes, out _);
        }
    }
}
