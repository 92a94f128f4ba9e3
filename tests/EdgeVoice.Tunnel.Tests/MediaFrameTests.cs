using EdgeVoice.Tunnel.Media;

namespace EdgeVoice.Tunnel.Tests;

public class MediaFrameTests
{
    [Fact]
    public void RoundTrip_KeepsEveryField()
    {
        byte[] payload = [0xF8, 0xFF, 0xFE, 1, 2, 3];
        var frame = new MediaFrame(0x0102030405060708, MediaDirection.Downlink, 0xA0B0C0D0, 0x11223344, MediaFrameFlags.Marker, payload);
        Span<byte> buf = stackalloc byte[64];
        int n = frame.WriteTo(buf);
        Assert.Equal(MediaFrame.HeaderLength + payload.Length, n);

        Assert.True(MediaFrame.TryParse(buf[..n], out var parsed, out var error));
        Assert.Equal(MediaFrameError.None, error);
        Assert.Equal(0x0102030405060708UL, parsed.SessionId);
        Assert.Equal(MediaDirection.Downlink, parsed.Direction);
        Assert.Equal(0xA0B0C0D0u, parsed.Sequence);
        Assert.Equal(0x11223344u, parsed.RtpTimestamp);
        Assert.Equal(MediaFrameFlags.Marker, parsed.Flags);
        Assert.True(parsed.Payload.SequenceEqual(payload));
    }

    [Fact]
    public void KnownBytes_MatchWireFormatDoc()
    {
        // The example in docs/tunnel-wire-format.md §2.
        byte[] expected = Convert.FromHexString("01000114" + "0000000000000007" + "0000002A" + "00003C00" + "F8FFFE");
        var frame = new MediaFrame(7, MediaDirection.Uplink, 42, 15360, MediaFrameFlags.Marker, [0xF8, 0xFF, 0xFE]);
        var buf = new byte[expected.Length];
        Assert.Equal(expected.Length, frame.WriteTo(buf));
        Assert.Equal(expected, buf);
    }

    [Fact]
    public void LongerHeader_FromNewerWriter_IsSkipped()
    {
        byte[] datagram = Convert.FromHexString("01010018" + "0000000000000009" + "00000001" + "00000002" + "DEADBEEF" + "AA");
        Assert.True(MediaFrame.TryParse(datagram, out var frame, out _));
        Assert.Equal(9UL, frame.SessionId);
        Assert.Equal([0xAA], frame.Payload.ToArray());
    }

    [Fact]
    public void WriteTo_TooSmallDestination_ReturnsMinusOne()
    {
        var frame = new MediaFrame(1, MediaDirection.Uplink, 1, 1, 0, new byte[10]);
        Assert.Equal(-1, frame.WriteTo(new byte[29]));
    }

    public static TheoryData<string, MediaFrameError> Malformed => new()
    {
        { "", MediaFrameError.TooShort },
        { "01", MediaFrameError.TooShort },
        { "010000", MediaFrameError.TooShort },
        { "02000014" + "0000000000000001" + "00000001" + "00000001", MediaFrameError.UnsupportedVersion },
        { "00000014" + "0000000000000001" + "00000001" + "00000001", MediaFrameError.UnsupportedVersion },
        { "01020014" + "0000000000000001" + "00000001" + "00000001", MediaFrameError.BadDirection },
        { "01000013" + "0000000000000001" + "00000001" + "00000001", MediaFrameError.BadHeaderLength },
        { "01000000", MediaFrameError.BadHeaderLength },
        { "01000014" + "0000000000000001" + "00000001" + "000000", MediaFrameError.TooShort },
        { "010000FF" + "0000000000000001" + "00000001" + "00000001", MediaFrameError.TooShort },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_IsRejectedWithReason(string hex, MediaFrameError expected)
    {
        Assert.False(MediaFrame.TryParse(Convert.FromHexString(hex), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void RandomBytes_NeverThrow_AndAcceptedFramesRoundTrip()
    {
        var rng = new Random(4);
        var buf = new byte[300];
        var again = new byte[300];
        int accepted = 0;
        for (int i = 0; i < 5000; i++)
        {
            int len = rng.Next(0, buf.Length);
            rng.NextBytes(buf.AsSpan(0, len));
            if (i % 2 == 0 && len >= 4)
            {
                buf[0] = MediaFrame.Version; buf[1] = (byte)(buf[1] & 1); buf[3] = (byte)rng.Next(0, 40);
            }
            if (!MediaFrame.TryParse(buf.AsSpan(0, len), out var f, out var error))
            {
                Assert.NotEqual(MediaFrameError.None, error);
                continue;
            }
            accepted++;
            int n = f.WriteTo(again);
            Assert.True(MediaFrame.TryParse(again.AsSpan(0, n), out var g, out _));
            Assert.Equal(f.SessionId, g.SessionId);
            Assert.Equal(f.Sequence, g.Sequence);
            Assert.Equal(f.RtpTimestamp, g.RtpTimestamp);
            Assert.Equal(f.Flags, g.Flags);
            Assert.True(f.Payload.SequenceEqual(g.Payload));
        }
        Assert.True(accepted > 500, $"only {accepted} random frames were well-formed; the generator is not exercising the accept path");
    }
}

public class MediaLossCounterTests
{
    [Fact]
    public void InOrder_NoLoss()
    {
        var c = new MediaLossCounter();
        for (uint s = 0; s < 100; s++) c.Record(s);
        Assert.Equal(100, c.Received);
        Assert.Equal(0, c.Lost);
    }

    [Fact]
    public void Gap_CountsLost_LateArrivalMovesBack()
    {
        var c = new MediaLossCounter();
        c.Record(1); c.Record(2); c.Record(5);
        Assert.Equal(2, c.Lost);
        c.Record(4);
        Assert.Equal(1, c.Lost);
        Assert.Equal(1, c.Late);
        c.Record(4);
        Assert.Equal(1, c.Duplicates);
        Assert.Equal(4, c.Received);
    }

    [Fact]
    public void SequenceWrap_IsNotLoss()
    {
        var c = new MediaLossCounter();
        c.Record(uint.MaxValue - 1); c.Record(uint.MaxValue); c.Record(0); c.Record(1);
        Assert.Equal(0, c.Lost);
        Assert.Equal(4, c.Received);
    }
}
