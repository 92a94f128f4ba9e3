namespace EdgeVoice.Relay.Media;

/// <summary>The media loop's shared grid: multiples of the tick on the loop's clock, where batched turns and paced sends meet.</summary>
internal static class MediaTick
{
    /// <summary>The first grid point at or after <paramref name="now"/>; <paramref name="now"/> itself when there is no grid.</summary>
    public static TimeSpan AtOrAfter(TimeSpan now, TimeSpan tick)
    {
        if (tick <= TimeSpan.Zero)
            return now;
        long rest = now.Ticks % tick.Ticks;
        return rest == 0 ? now : now + TimeSpan.FromTicks(tick.Ticks - rest);
    }

    /// <summary>The first grid point strictly after <paramref name="now"/>.</summary>
    public static TimeSpan Next(TimeSpan now, TimeSpan tick) =>
        tick <= TimeSpan.Zero ? now : now + TimeSpan.FromTicks(tick.Ticks - now.Ticks % tick.Ticks);
}
