using EdgeVoice.Relay.Tests.Relay;
using EdgeVoice.Testing;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Relay.Tests.Conversation;

/// <summary>Where the relay places a call: by free room, except that a saturated accelerator goes last.</summary>
[Collection(EdgeVoice.Relay.Tests.EndToEnd.EndToEndCollection.Name)]
public sealed class PlacementTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    [Fact]
    public async Task A_transceiver_with_a_saturated_gpu_gets_no_call_while_another_has_room_whatever_its_own_room()
    {
        // gpu-1: a real transceiver with 2 slots; gpu-2: a test-driven peer announcing 8 slots, so it has the most room.
        await using var rig = await RogueTunnelRig.StartAsync(transceiverSessions: 2, rogueCapacity: 8);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var rogue = rig.Rogue!;
        var gpu2 = rig.Relay.Server.Transceivers.Single(l => l.Name == "gpu-2");

        Assert.True(rogue.SendLoadReport(new LoadReportMessage(0, 8, 0, 950)));
        Assert.True(await InProcessRelay.EventuallyAsync(() => gpu2.AcceleratorUsePermille == 950, TimeSpan.FromSeconds(5)));
        using var first = await SyntheticCaller.ConnectAsync(Http, rig.Relay.Http, InProcessRelay.ApiKey, cancel.Token);
        Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceiver.ActiveSessions == 1, TimeSpan.FromSeconds(5)), "gpu-1 did not get the call");
        Assert.Empty(rogue.Opens);

        // Its GPU is idle again: gpu-2's 8 free slots beat gpu-1's one.
        Assert.True(rogue.SendLoadReport(new LoadReportMessage(0, 8, 0, 100)));
        Assert.True(await InProcessRelay.EventuallyAsync(() => gpu2.AcceleratorUsePermille == 100, TimeSpan.FromSeconds(5)));
        using var second = await SyntheticCaller.ConnectAsync(Http, rig.Relay.Http, InProcessRelay.ApiKey, cancel.Token);
        Assert.True(await InProcessRelay.EventuallyAsync(() => rogue.Opens.Count == 1, TimeSpan.FromSeconds(5)), "gpu-2 did not get the call");
        Assert.Equal(1, rig.Transceiver.ActiveSessions);
    }

    [Fact]
    public async Task A_call_refused_by_the_transceiver_it_was_placed_on_is_placed_on_the_next_one()
    {
        // gpu-2 announces the most room but refuses every session (it filled up since its report): the call lands on gpu-1.
        await using var rig = await RogueTunnelRig.StartAsync(transceiverSessions: 2, rogueCapacity: 8);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var rogue = rig.Rogue!;
        rogue.RefuseSessions = true;
        using var caller = await SyntheticCaller.ConnectAsync(Http, rig.Relay.Http, InProcessRelay.ApiKey, cancel.Token);
        Assert.True(await InProcessRelay.EventuallyAsync(() => rogue.Opens.Count == 1, TimeSpan.FromSeconds(5)), "gpu-2 was not tried first");
        Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Transceiver.ActiveSessions == 1, TimeSpan.FromSeconds(5)), "gpu-1 did not get the refused call");
        var pool = rig.Relay.Server.Pool!;
        // The watch thread counts the move and releases gpu-2's slot just after its SessionOpen went to gpu-1, so gpu-1
        // can report the session a moment before they show.
        Assert.True(await InProcessRelay.EventuallyAsync(() => pool.CallsMovedOnRefusal == 1, TimeSpan.FromSeconds(5)),
            $"{pool.CallsMovedOnRefusal} moves on refusal counted");
        Assert.True(await InProcessRelay.EventuallyAsync(() => rig.Relay.Server.Transceivers.Single(l => l.Name == "gpu-2").Load == 0,
            TimeSpan.FromSeconds(5)), "gpu-2 still holds the refused call's slot");
        Assert.Equal(0, pool.CallsEndedNoTransceiver);
        Assert.Equal(1, rig.Relay.Server.Sessions.Count);
    }
}
