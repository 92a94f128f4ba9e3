using EdgeVoice.Transceiver.Pipeline;

namespace EdgeVoice.Transceiver.Tests;

public sealed class FrameQueueTests
{
    private sealed record TestFrame(string Name, FrameKind Kind = FrameKind.Data, bool Uninterruptible = false) : IQueuedFrame;

    private static List<string> Drain(FrameQueue<TestFrame> queue)
    {
        var names = new List<string>();
        while (queue.TryDequeue(out var f)) names.Add(f.Name);
        return names;
    }

    [Fact]
    public void System_frames_jump_the_queue()
    {
        var queue = new FrameQueue<TestFrame>();
        queue.Enqueue(new("audio1"));
        queue.Enqueue(new("audio2"));
        queue.Enqueue(new("interrupt", FrameKind.System));
        Assert.Equal(["interrupt", "audio1", "audio2"], Drain(queue));
    }

    [Fact]
    public void Interruption_drops_data_frames_but_keeps_uninterruptible_and_system_ones()
    {
        var queue = new FrameQueue<TestFrame>();
        queue.Enqueue(new("audio1"));
        queue.Enqueue(new("keep", Uninterruptible: true));
        queue.Enqueue(new("audio2"));
        queue.Enqueue(new("end", FrameKind.System));
        Assert.Equal(2, queue.DropInterruptible());
        Assert.Equal(["end", "keep"], Drain(queue));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public async Task A_waiter_wakes_when_a_frame_arrives()
    {
        var queue = new FrameQueue<TestFrame>();
        var waiting = queue.WhenAvailable();
        Assert.False(waiting.IsCompleted);
        queue.Enqueue(new("audio"));
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(queue.WhenAvailable().IsCompleted);
    }
}
