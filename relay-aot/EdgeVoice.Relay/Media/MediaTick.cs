namespace EdgeVoice.Relay.Media;

/// <summary>
/// The media loop's shared grid: multiples of the tick on the loop's clock, where batched turns and paced sends meet;
/// and when a turn should sleep to it.
/// </summary>
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

    /// <summary>
    /// Whether a turn that handled datagrams should sleep to the next grid point, so that the next tick's datagrams come
    /// in one batch, rather than go straight back to waiting on the socket. Sleeping pays when datagrams arrive more
    /// often than once a tick. When they arrive about once a tick or less (one call; a few calls sending at the same
    /// moment), the grid point falls between two arrivals: a tick that finds nothing costs a wake of its own, and the
    /// datagram then wakes the loop anyway. The evidence is the turn itself: a tick that found no datagram, or a socket
    /// wait of most of a tick (<paramref name="waited"/>) before the first one.
    /// </summary>
    /// <param name="tickWake">The turn began after a sleep to the grid, with a receive before any wait.</param>
    /// <param name="tickFoundDatagrams">That receive returned datagrams.</param>
    /// <param name="waited">How long the turn waited on the socket before its datagrams came.</param>
    public static bool SleepPays(bool tickWake, bool tickFoundDatagrams, TimeSpan waited, TimeSpan tick) =>
        tickWake ? tickFoundDatagrams : waited < tick * SparseFraction;

    /// <summary>A wait this share of a tick or longer means at most about one arrival per tick.</summary>
    private const double SparseFraction = 0.75;
}
