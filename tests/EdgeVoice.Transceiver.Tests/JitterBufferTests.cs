using EdgeVoice.Transceiver.Jitter;
using EdgeVoice.Transceiver.Pipeline;

namespace EdgeVoice.Transceiver.Tests;

public sealed class JitterBufferTests
{
    private static MediaFrame Frame(ushort seq) => new(seq, (uint)(seq * 960), new byte[] { (byte)seq });

    [Fact]
    public void Reordered_frames_come_out_in_sequence_order()
    {
        var buffer = new JitterBuffer(targetDepth: 3);
        foreach (ushort s in new ushort[] { 10, 12, 11, 14, 13 }) Assert.True(buffer.TryPush(Frame(s), out _));
        var seen = new List<ushort>();
        while (buffer.Pop(out var f) == JitterSlotKind.Frame) seen.Add(f.Sequence);
        Assert.Equal(new ushort[] { 10, 11, 12, 13, 14 }, seen);
    }

    [Fact]
    public void Waits_for_target_depth_before_playing()
    {
        var buffer = new JitterBuffer(targetDepth: 3);
        buffer.TryPush(Frame(1), out _);
        buffer.TryPush(Frame(2), out _);
        Assert.Equal(JitterSlotKind.Empty, buffer.Pop(out _));
        buffer.TryPush(Frame(3), out _);
        Assert.Equal(JitterSlotKind.Frame, buffer.Pop(out var f));
        Assert.Equal(1, f.Sequence);
    }

    [Fact]
    public void A_gap_is_reported_as_lost_for_concealment()
    {
        var buffer = new JitterBuffer(targetDepth: 2);
        buffer.TryPush(Frame(100), out _);
        buffer.TryPush(Frame(102), out _);
        Assert.Equal(JitterSlotKind.Frame, buffer.Pop(out _));
        Assert.Equal(JitterSlotKind.Lost, buffer.Pop(out _));
        Assert.Equal(JitterSlotKind.Frame, buffer.Pop(out var f));
        Assert.Equal(102, f.Sequence);
        Assert.Equal(1, buffer.Lost);
    }

    [Fact]
    public void After_a_loss_the_next_frame_can_be_peeked_for_its_fec_data()
    {
        var buffer = new JitterBuffer(targetDepth: 2);
        buffer.TryPush(Frame(7), out _);
        buffer.TryPush(Frame(9), out _);
        Assert.Equal(JitterSlotKind.Frame, buffer.Pop(out _));
        Assert.Equal(JitterSlotKind.Lost, buffer.Pop(out _));
        Assert.True(buffer.TryPeekNext(out var next));
        Assert.Equal(9, next.Sequence);
        Assert.Equal(JitterSlotKind.Frame, buffer.Pop(out _));
        Assert.False(buffer.TryPeekNext(out _));
    }

    [Fact]
    public void Sequence_numbers_wrap_around()
    {
        var buffer = new JitterBuffer(targetDepth: 1);
        foreach (ushort s in new ushort[] { 65534, 0, 65535, 1 }) Assert.True(buffer.TryPush(Frame(s), out _));
        var seen = new List<ushort>();
        while (buffer.Drain(out var f) == JitterSlotKind.Frame) seen.Add(f.Sequence);
        Assert.Equal(new ushort[] { 65534, 65535, 0, 1 }, seen);
    }

    [Fact]
    public void Duplicates_late_and_far_future_frames_are_refused()
    {
        var buffer = new JitterBuffer(targetDepth: 1, capacity: 16);
        Assert.True(buffer.TryPush(Frame(5), out _));
        Assert.False(buffer.TryPush(Frame(5), out var e1));
        Assert.Equal(JitterError.Duplicate, e1);
        buffer.Pop(out _);
        Assert.False(buffer.TryPush(Frame(4), out var e2));
        Assert.Equal(JitterError.TooLate, e2);
        Assert.False(buffer.TryPush(Frame(40), out var e3));
        Assert.Equal(JitterError.TooFarAhead, e3);
    }

    [Fact]
    public void Random_sequences_never_throw_and_never_reorder()
    {
        var random = new Random(7);
        var buffer = new JitterBuffer(targetDepth: 3);
        int last = -1;
        for (int i = 0; i < 5000; i++)
        {
            buffer.TryPush(Frame((ushort)random.Next(0, 70)), out _);
            if (buffer.Pop(out var f) == JitterSlotKind.Frame)
            {
                Assert.True(f.Sequence > last);
                last = f.Sequence;
            }
        }
    }
}
