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
}
