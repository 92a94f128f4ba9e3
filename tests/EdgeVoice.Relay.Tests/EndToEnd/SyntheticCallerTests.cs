using EdgeVoice.Relay.Tests.Support;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>
/// The one synthetic caller that tests and benchmarks share talks to both relays: pion's ICE-lite agent checks the caller
/// back and routes RTP by the SSRC the offer declares; EdgeVoice's relay sends no checks and routes by 5-tuple.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SyntheticCallerTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Theory]
    [InlineData(RelayKind.Pion)]
    [InlineData(RelayKind.EdgeVoice)]
    public async Task The_caller_connects_and_hears_its_own_frames_back(RelayKind kind)
    {
        await using var relay = await RelayProcess.StartAsync(kind, output);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var caller = await SyntheticCaller.ConnectAsync(Http, relay.BaseUri, relay.Key, cancel.Token, ssrc: 0x0EC0_0001);
        Assert.Equal(0x0EC0_0001u, caller.Ssrc);

        var payload = new byte[120];
        var received = new byte[1500];
        int echoed = 0;
        for (int i = 0; i < 30; i++)
        {
            payload.AsSpan().Fill((byte)(i + 1));
            caller.SendFrame(payload);
            // Echoes may trail by a frame or two: read whatever has come back before the next send.
            while (caller.TryReceiveFrame(TimeSpan.FromMilliseconds(echoed == 0 ? 500 : 20), received, out int length, out _))
            {
                Assert.Equal(payload.Length, length);
                Assert.InRange(received[0], 1, i + 1);
                Assert.All(received[..length], b => Assert.Equal(received[0], b));
                echoed++;
            }
        }
        output.WriteLine($"{kind}: {echoed} of 30 frames echoed, {caller.RelayChecksAnswered} checks from the relay answered, setup {caller.SetupTime.TotalMilliseconds:F0} ms");
        Assert.True(echoed >= 25, $"only {echoed} of 30 frames came back from {kind}");
        Assert.Equal(0, caller.UnreadableDatagrams);
        if (kind == RelayKind.Pion)
            Assert.True(caller.RelayChecksAnswered > 0, "pion's checks went unanswered, yet it nominated the pair");
        else
            Assert.Equal(0, caller.RelayChecksAnswered);
        await caller.HangUpAsync(Http, relay.BaseUri, relay.Key, cancel.Token);
    }
}
