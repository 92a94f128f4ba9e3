using EdgeVoice.Relay.Sessions;

namespace EdgeVoice.Relay.Tests.Sessions;

/// <summary>The feed's pacing on a virtual clock: a simulated transceiver hands frames in; the loop wakes each millisecond.</summary>
public sealed class FeedPacerTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    /// <summary>Runs <paramref name="milliseconds"/> of a feed that gets a frame every 20 ms from <paramref name="firstArrivals"/> frames at t=0; returns each frame's delay from arrival to send.</summary>
    private static (List<double> DelaysMs, FeedPacer Pacer) Run(int firstArrivals, int milliseconds)
    {
        var pacer = new FeedPacer();
        var queue = new Queue<TimeSpan>();
        var delays = new List<double>();
        for (int i = 0; i < firstArrivals; i++) queue.Enqueue(TimeSpan.Zero);
        for (int t = 0; t < milliseconds; t++)
        {
            var now = t * Ms;
            if (t > 0 && t % 20 == 0) queue.Enqueue(now); // the steady stream: as fast as frames leave
            while (queue.Count > 0 && pacer.IsDue(now, TimeSpan.Zero))
            {
                delays.Add((now - queue.Dequeue()).TotalMilliseconds);
                pacer.Sent(queue.Count);
            }
        }
        return (delays, pacer);
    }

    [Fact]
    public void A_steady_stream_goes_out_every_20_ms_with_no_early_frame()
    {
        var (delays, pacer) = Run(firstArrivals: 1, milliseconds: 10_000);
        Assert.Equal(0, pacer.EarlySends);
        Assert.All(delays, d => Assert.Equal(0, d));
        Assert.Equal(500, delays.Count);
    }

    [Fact]
    public void A_standing_backlog_is_worked_off_and_stays_off()
    {
        // A burst of 4 frames at once (a stall on the transceiver side), then the steady stream: without catch-up every
        // later frame would wait 60 ms; with it the wait falls to nothing within a few windows, and stays there.
        var (delays, pacer) = Run(firstArrivals: 4, milliseconds: 10_000);
        Assert.Equal(60, delays[4]);
        Assert.Equal(3, pacer.EarlySends);
        Assert.All(delays.Skip(delays.Count - 400), d => Assert.Equal(0, d));
    }

    [Fact]
    public void Frames_are_sent_in_order_and_never_faster_than_one_early_frame_per_window()
    {
        var pacer = new FeedPacer();
        var sentAt = new List<TimeSpan>();
        int depth = 50;
        for (int t = 0; depth > 0; t++)
        {
            var now = t * Ms;
            while (depth > 0 && pacer.IsDue(now, TimeSpan.Zero))
            {
                sentAt.Add(now);
                pacer.Sent(--depth);
            }
        }
        // 50 frames queued at once: 48 at 20 ms spacing plus one early frame per window of 25 sends.
        int together = sentAt.Zip(sentAt.Skip(1), (a, b) => b - a).Count(gap => gap == TimeSpan.Zero);
        Assert.Equal(1, together);
        Assert.Equal(1, pacer.EarlySends);
    }

    [Fact]
    public void A_talkspurt_starts_at_once_and_its_next_frame_joins_the_tick_grid()
    {
        var pacer = new FeedPacer();
        var tick = TimeSpan.FromMilliseconds(5);
        Assert.True(pacer.IsDue(TimeSpan.FromMilliseconds(11), tick));
        pacer.Sent(0);
        // The first grid point at least half a frame later: 21 ms is off the grid, 25 ms is on it.
        Assert.Equal(TimeSpan.FromMilliseconds(25), pacer.NextDue);
        Assert.False(pacer.IsDue(TimeSpan.FromMilliseconds(24), tick));
        Assert.True(pacer.IsDue(TimeSpan.FromMilliseconds(25), tick));
        pacer.Sent(0);
        Assert.Equal(TimeSpan.FromMilliseconds(45), pacer.NextDue);
        // Quiet for longer than the slack: the next frame is a new talkspurt, sent at once (no burst for missed slots).
        Assert.True(pacer.IsDue(TimeSpan.FromMilliseconds(232), tick));
        pacer.Sent(0);
        Assert.Equal(TimeSpan.FromMilliseconds(245), pacer.NextDue);
        Assert.False(pacer.IsDue(TimeSpan.FromMilliseconds(244), tick));
    }
}
