using EdgeVoice.Relay.Media;

namespace EdgeVoice.Relay.Tests.Sessions;

/// <summary>The loop's shared grid: where a batched turn sleeps to, and where a call's first paced frame goes out.</summary>
public sealed class MediaTickTests
{
    [Theory]
    [InlineData(0, 5, 0)]
    [InlineData(1, 5, 5)]
    [InlineData(4.999, 5, 5)]
    [InlineData(5, 5, 5)]
    [InlineData(5.001, 5, 10)]
    [InlineData(123.4, 10, 130)]
    [InlineData(123.4, 0, 123.4)]
    public void At_or_after_rounds_up_to_the_grid(double nowMs, double tickMs, double expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), MediaTick.AtOrAfter(TimeSpan.FromMilliseconds(nowMs), TimeSpan.FromMilliseconds(tickMs)));

    [Theory]
    [InlineData(0, 5, 5)]
    [InlineData(4.999, 5, 5)]
    [InlineData(5, 5, 10)]
    [InlineData(19.5, 20, 20)]
    [InlineData(7, 0, 7)]
    public void Next_is_strictly_later_on_the_grid(double nowMs, double tickMs, double expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), MediaTick.Next(TimeSpan.FromMilliseconds(nowMs), TimeSpan.FromMilliseconds(tickMs)));

    [Fact]
    public void Calls_starting_anywhere_in_a_tick_share_their_send_instants()
    {
        // Frames paced 20 ms apart from a grid point stay on the grid, so every call's sends meet at the same wake-ups.
        var tick = TimeSpan.FromMilliseconds(5);
        var random = new Random(20);
        var instants = new HashSet<long>();
        for (int call = 0; call < 64; call++)
        {
            TimeSpan first = MediaTick.AtOrAfter(TimeSpan.FromTicks(random.NextInt64(TimeSpan.TicksPerSecond)), tick);
            for (int frame = 0; frame < 50; frame++)
                instants.Add((first + frame * TimeSpan.FromMilliseconds(20)).Ticks);
        }
        Assert.All(instants, t => Assert.Equal(0, t % tick.Ticks));
        Assert.True(instants.Count <= 2 * 1000 / 5, $"{instants.Count} distinct send instants");
    }

    /// <summary>
    /// The loop's rhythm against callers sending every 20 ms at the given phases (ms), with a 20 ms tick: a turn takes
    /// what has arrived, then sleeps to the grid where <see cref="MediaTick.SleepPays"/> says so, else waits for the next
    /// datagram. Whatever the phases, it should wake about once per 20 ms: one call must not cost a tick that finds
    /// nothing plus a wake for its datagram, and many calls must still share their wakes.
    /// </summary>
    [Theory]
    [InlineData(new double[] { 7.3 })]
    [InlineData(new double[] { 0.2 })]
    [InlineData(new double[] { 19.9 })]
    [InlineData(new double[] { 3, 13 })]
    [InlineData(new double[] { 5, 5.05, 5.1, 5.15, 5.2, 5.25, 5.3, 5.35 })]
    [InlineData(new double[] { 0, 2.5, 5, 7.5, 10, 12.5, 15, 17.5 })]
    public void The_loop_wakes_about_once_a_tick_whatever_the_callers_phases(double[] phasesMs)
    {
        var tick = TimeSpan.FromMilliseconds(20);
        var turnCost = TimeSpan.FromMilliseconds(0.1);
        var arrivals = phasesMs
            .SelectMany(phase => Enumerable.Range(0, 500).Select(k => TimeSpan.FromMilliseconds(phase + 20.0 * k)))
            .Order().ToArray();
        TimeSpan end = TimeSpan.FromSeconds(9);
        TimeSpan now = TimeSpan.FromMilliseconds(1.234);
        int taken = 0, wakes = 0;
        bool tickWake = false;
        while (now < end)
        {
            TimeSpan started = now;
            int count = tickWake ? TakeArrived() : 0;
            bool tickFoundDatagrams = count > 0;
            if (count == 0)
            {
                now = arrivals[taken]; // the first datagram wakes the socket wait
                wakes++;
                count = TakeArrived();
            }
            TimeSpan waited = now - started;
            now += turnCost;
            tickWake = MediaTick.SleepPays(tickWake, tickFoundDatagrams, waited, tick);
            if (tickWake)
            {
                now = MediaTick.Next(now, tick);
                wakes++;
            }
        }
        double perSecond = wakes / (end - TimeSpan.FromMilliseconds(1.234)).TotalSeconds;
        Assert.InRange(perSecond, 45, 52);

        int TakeArrived()
        {
            int first = taken;
            while (taken < arrivals.Length && arrivals[taken] <= now)
                taken++;
            return taken - first;
        }
    }
}
