using EdgeVoice.WebRtc.Rtp;

namespace EdgeVoice.WebRtc.Tests.Rtp;

public class RtpStatisticsTests
{
    [Fact]
    public void CountsLossAcrossSequenceWrap()
    {
        var stats = new RtpReceiveStatistics();
        // 65530..65535, 0..9 with 65534, 2 and 3 lost: 16 expected, 13 received.
        ushort[] arrived = [65530, 65531, 65532, 65533, 65535, 0, 1, 4, 5, 6, 7, 8, 9];
        foreach (ushort seq in arrived)
            stats.Update(seq, seq * 960u, seq * 960u);
        // A.1 probation: the first packet only starts the source, counting begins at the second.
        Assert.Equal(0x1_0009u, stats.ExtendedHighestSequence);
        Assert.Equal(65540 - 65531 + 1 + 5, stats.Expected);
        Assert.Equal(12u, stats.Received);
        Assert.Equal(3, stats.CumulativeLost);

        var block = stats.CreateReportBlock(0xABCD);
        Assert.Equal(0xABCDu, block.Ssrc);
        Assert.Equal(3, block.CumulativeLost);
        Assert.Equal((byte)(3 * 256 / 15), block.FractionLost);
        Assert.Equal(0x1_0009u, block.ExtendedHighestSequence);

        // The next interval loses nothing: fraction 0, cumulative unchanged.
        for (ushort seq = 10; seq < 20; seq++)
            stats.Update(seq, seq * 960u, seq * 960u);
        block = stats.CreateReportBlock(0xABCD);
        Assert.Equal(0, block.FractionLost);
        Assert.Equal(3, block.CumulativeLost);
    }

    [Fact]
    public void DuplicatesCanMakeLossNegativeAndFractionZero()
    {
        var stats = new RtpReceiveStatistics(minSequential: 1);
        foreach (ushort seq in new ushort[] { 1, 2, 2, 3, 3 })
            stats.Update(seq, 0, 0);
        Assert.Equal(-2, stats.CumulativeLost);
        Assert.Equal(0, stats.CreateReportBlock(1).FractionLost);
    }

    [Fact]
    public void JitterFollowsRfc3550A8AcrossGapAndWrap()
    {
        var stats = new RtpReceiveStatistics(minSequential: 1);
        // 20 ms packets (960 ticks at 48 kHz) from seq 65500 across the wrap, 3 packets lost at i = 50;
        // arrival alternates on time and 160 ticks late, so |D| = 160 for every pair of packets received.
        double expected = 0;
        int received = 0;
        for (int i = 0; i < 200; i++)
        {
            if (i is >= 50 and < 53)
                continue;
            uint ts = (uint)(i * 960);
            uint arrival = ts + 5000 + (uint)(received % 2 * 160);
            stats.Update((ushort)(65500 + i), ts, arrival);
            if (received++ > 0)
                expected += (160 - expected) / 16;
        }
        Assert.InRange(stats.Jitter, (uint)expected - 1, (uint)expected + 1);
        Assert.InRange(stats.Jitter, 150u, 160u);
        Assert.Equal(3, stats.CumulativeLost);
        Assert.Equal((uint)(65500 + 199), stats.ExtendedHighestSequence);
        Assert.Equal((byte)(3 * 256 / 200), stats.CreateReportBlock(9).FractionLost);
    }

    [Fact]
    public void JitterIsZeroForPerfectlyPacedArrival()
    {
        var stats = new RtpReceiveStatistics(minSequential: 1);
        for (int i = 0; i < 100; i++)
            stats.Update((ushort)(60000 + i), (uint)(i * 960) - 10, (uint)(i * 960) + 777);
        Assert.Equal(0u, stats.Jitter);
        Assert.Equal(0, stats.CumulativeLost);
        Assert.Equal(100u, stats.Received);
    }

    [Fact]
    public void LargeJumpIsBelievedOnlyWhenTheNextPacketFollowsIt()
    {
        var stats = new RtpReceiveStatistics(minSequential: 1);
        for (ushort seq = 100; seq < 110; seq++)
            stats.Update(seq, 0, 0);
        Assert.False(stats.Update(30000, 0, 0));   // a jump alone is not believed
        Assert.Equal(109u, stats.ExtendedHighestSequence);
        Assert.True(stats.Update(30001, 0, 0));    // the sender restarted: the source is re-based
        Assert.Equal(30001u, stats.ExtendedHighestSequence);
        Assert.Equal(0, stats.CumulativeLost);
    }

    [Fact]
    public void SendStatisticsCountPacketsAndPayloadOctets()
    {
        var stats = new RtpSendStatistics();
        for (int i = 0; i < 50; i++)
            stats.OnSent(160);
        Assert.Equal(50u, stats.PacketCount);
        Assert.Equal(8000u, stats.OctetCount);
    }
}
