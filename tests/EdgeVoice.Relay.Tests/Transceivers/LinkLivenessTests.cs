using EdgeVoice.Relay.Transceivers;

namespace EdgeVoice.Relay.Tests.Transceivers;

/// <summary>The relay's liveness timer for one transceiver tunnel, on a virtual clock.</summary>
public sealed class LinkLivenessTests
{
    private static readonly TimeSpan Ping = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Dead = TimeSpan.FromMilliseconds(900);

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    /// <summary>Runs the timer the way the watch thread does: at each NextTimeout, hearing a Pong <paramref name="rtt"/> after each ping while <paramref name="alive"/>.</summary>
    private static (List<TimeSpan> Pings, TimeSpan? DeadAt) Run(LinkLiveness liveness, TimeSpan until, Func<TimeSpan, bool> alive, TimeSpan rtt)
    {
        var pings = new List<TimeSpan>();
        var pongs = new Queue<TimeSpan>();
        var now = TimeSpan.Zero;
        liveness.OnConnected(now);
        while (now < until)
        {
            var next = liveness.NextTimeout;
            if (next is null)
                break;
            if (pongs.Count > 0 && pongs.Peek() < next.Value)
            {
                now = pongs.Dequeue();
                liveness.OnHeard(now);
                continue;
            }
            now = next.Value;
            switch (liveness.HandleTimeout(now))
            {
                case LivenessAction.SendPing:
                    pings.Add(now);
                    if (alive(now))
                        pongs.Enqueue(now + rtt);
                    break;
                case LivenessAction.Dead:
                    return (pings, now);
            }
        }
        return (pings, null);
    }

    [Fact]
    public void A_peer_that_answers_is_pinged_every_interval_and_never_declared_dead()
    {
        var liveness = new LinkLiveness(Ping, Dead);
        var (pings, deadAt) = Run(liveness, TimeSpan.FromSeconds(30), _ => true, Ms(40));
        Assert.Null(deadAt);
        Assert.Equal(120, pings.Count);
        Assert.All(pings.Zip(pings.Skip(1)), p => Assert.Equal(Ping, p.Second - p.First));
        Assert.Equal(120ul, liveness.PingNonce);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(1010)]
    [InlineData(1240)]
    [InlineData(5555)]
    public void A_peer_that_goes_silent_is_declared_dead_once_within_dead_after_of_the_last_packet(double killedAtMs)
    {
        var liveness = new LinkLiveness(Ping, Dead);
        var killed = Ms(killedAtMs);
        var (_, deadAt) = Run(liveness, TimeSpan.FromSeconds(30), now => now < killed, Ms(1));
        Assert.NotNull(deadAt);
        // Declared exactly dead_after after the last Pong, which came before the kill: so within dead_after of the kill.
        Assert.Equal(liveness.LastHeard + Dead, deadAt.Value);
        Assert.True(deadAt.Value - killed <= Dead, $"declared dead {(deadAt.Value - killed).TotalMilliseconds} ms after the kill");
        Assert.True(deadAt.Value - killed >= Dead - Ping - Ms(1), $"declared dead too early: {(deadAt.Value - killed).TotalMilliseconds} ms after the kill");
        // Once only: nothing more until the tunnel is up again.
        Assert.Null(liveness.NextTimeout);
        Assert.Equal(LivenessAction.None, liveness.HandleTimeout(deadAt.Value + TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Any_packet_counts_as_heard_even_without_pongs()
    {
        var liveness = new LinkLiveness(Ping, Dead);
        liveness.OnConnected(TimeSpan.Zero);
        // Media frames every 20 ms, no Pong at all: alive.
        for (var now = Ms(20); now < TimeSpan.FromSeconds(5); now += Ms(20))
        {
            liveness.OnHeard(now);
            Assert.NotEqual(LivenessAction.Dead, liveness.HandleTimeout(now));
        }
        Assert.Equal(LivenessAction.Dead, liveness.HandleTimeout(Ms(4980) + Dead));
    }

    [Fact]
    public void A_late_tick_sends_one_ping_and_a_reconnect_rearms_the_timer()
    {
        var liveness = new LinkLiveness(Ping, Dead);
        liveness.OnConnected(TimeSpan.Zero);
        Assert.Equal(LivenessAction.None, liveness.HandleTimeout(Ms(100)));
        Assert.Equal(Ping, liveness.NextTimeout);
        // A tick 600 ms late (a stalled thread): one ping, the next one an interval later.
        Assert.Equal(LivenessAction.SendPing, liveness.HandleTimeout(Ms(850)));
        Assert.Equal(LivenessAction.None, liveness.HandleTimeout(Ms(851)));
        Assert.Equal(Dead, liveness.NextTimeout);
        Assert.Equal(LivenessAction.Dead, liveness.HandleTimeout(Dead));

        liveness.OnClosed();
        Assert.Null(liveness.NextTimeout);
        liveness.OnConnected(TimeSpan.FromSeconds(3));
        Assert.True(liveness.IsUp);
        Assert.Equal(TimeSpan.FromSeconds(3) + Ping, liveness.NextTimeout);
        Assert.Equal(LivenessAction.SendPing, liveness.HandleTimeout(TimeSpan.FromSeconds(3) + Ping));
    }

    [Fact]
    public void A_closed_tunnel_is_not_watched()
    {
        var liveness = new LinkLiveness(Ping, Dead);
        Assert.Null(liveness.NextTimeout);
        Assert.Equal(LivenessAction.None, liveness.HandleTimeout(TimeSpan.FromSeconds(100)));
        liveness.OnConnected(TimeSpan.Zero);
        liveness.OnClosed();
        Assert.Equal(LivenessAction.None, liveness.HandleTimeout(TimeSpan.FromSeconds(100)));
    }

    [Theory]
    [InlineData(0, 900)]
    [InlineData(-5, 900)]
    [InlineData(250, 250)]
    [InlineData(250, 100)]
    public void Settings_that_would_misfire_are_refused(double pingMs, double deadMs) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinkLiveness(Ms(pingMs), Ms(deadMs)));
}
