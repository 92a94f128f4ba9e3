using EdgeVoice.Relay.Configuration;
using EdgeVoice.Testing;

namespace EdgeVoice.Relay.Tests.Relay;

/// <summary>How calls end: a DTLS fingerprint that does not match, consent that stops, and the relay stopping.</summary>
public class CallLifecycleTests
{
    private static readonly TimeSpan ShortConsent = TimeSpan.FromSeconds(2);

    // The YAML keeps consent_timeout at 5 s or more; the test sets the option itself to stay fast.
    private static RelayOptions WithShortConsent(RelayOptions options) =>
        options with { Ice = options.Ice with { ConsentTimeout = ShortConsent } };

    [Fact]
    public async Task WrongDtlsFingerprintFailsTheHandshakeAndEndsTheSession()
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        string notMine = "sha-256 " + string.Join(':', Enumerable.Repeat("5A", 32));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            SyntheticCaller.ConnectAsync(relay.Client, relay.Http, InProcessRelay.ApiKey, cancel.Token, offeredFingerprint: notMine));
        Assert.Contains("DTLS", failure.Message);

        Assert.True(await InProcessRelay.EventuallyAsync(() => relay.Server.Sessions.Count == 0, TimeSpan.FromSeconds(5)),
            "the session outlived its failed handshake");
        var stats = await relay.StatsAsync();
        Assert.Equal(1, stats.DtlsFailed);
        Assert.Equal(0, stats.CallsConnected);
    }

    [Fact]
    public async Task ConsentChecksKeepACallUpAndTheirAbsenceEndsIt()
    {
        await using var relay = await InProcessRelay.StartAsync(adjust: WithShortConsent);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var silent = await SyntheticCaller.ConnectAsync(relay.Client, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        using var checking = await SyntheticCaller.ConnectAsync(relay.Client, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        checking.SendConsentCheck();
        string silentId = silent.Location[(silent.Location.LastIndexOf('/') + 1)..];
        string checkingId = checking.Location[(checking.Location.LastIndexOf('/') + 1)..];

        // Both keep sending media; only one sends consent checks (every 500 ms). Media is not consent (RFC 7675).
        var payload = new byte[40];
        var received = new byte[1500];
        var started = System.Diagnostics.Stopwatch.StartNew();
        int echoes = 0, rounds = 0;
        while (started.Elapsed < ShortConsent * 2.5)
        {
            checking.SendConsentCheck();
            silent.SendFrame(payload);
            checking.SendFrame(payload);
            rounds++;
            if (checking.TryReceiveFrame(TimeSpan.FromMilliseconds(500), received, out _, out _))
                echoes++;
            while (checking.TryReceiveFrame(TimeSpan.Zero, received, out _, out _))
                echoes++;
            Thread.Sleep(TimeSpan.FromMilliseconds(500) - TimeSpan.FromMilliseconds(started.Elapsed.TotalMilliseconds % 500));
        }
        Assert.False(relay.Server.Sessions.TryGetByCallId(silentId, out _), "a caller without consent checks kept its session");
        Assert.True(relay.Server.Sessions.TryGetByCallId(checkingId, out _), "a caller sending consent checks lost its session");
        Assert.Equal(1, relay.Server.Sessions.Count);
        Assert.True(echoes >= rounds - 1, $"the checking caller heard {echoes} of {rounds} frames");

        // The expired call's address is forgotten: its media is unrouted now, and the other call still echoes.
        long unrouted = relay.Server.Counters.UnroutedDatagrams;
        silent.SendFrame(payload);
        Assert.True(await InProcessRelay.EventuallyAsync(() => relay.Server.Counters.UnroutedDatagrams == unrouted + 1, TimeSpan.FromSeconds(2)));
        checking.SendFrame(payload);
        Assert.True(checking.TryReceiveFrame(TimeSpan.FromSeconds(2), received, out _, out _));
        Assert.Equal(0, silent.UnreadableDatagrams + checking.UnreadableDatagrams);
    }

    [Fact]
    public async Task StoppingTheRelaySaysGoodbyeToEveryCall()
    {
        await using var relay = await InProcessRelay.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var callers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            SyntheticCaller.ConnectAsync(relay.Client, relay.Http, InProcessRelay.ApiKey, cancel.Token)));
        try
        {
            var payload = new byte[40];
            var received = new byte[1500];
            foreach (var caller in callers)
            {
                caller.SendFrame(payload);
                Assert.True(caller.TryReceiveFrame(TimeSpan.FromSeconds(2), received, out _, out _));
            }

            await relay.StopAsync();

            foreach (var caller in callers)
            {
                var goodbye = caller.WaitForGoodbye(TimeSpan.FromSeconds(3));
                Assert.True(goodbye.RtcpBye, "no SRTCP BYE before the relay stopped");
                Assert.True(goodbye.DtlsAlert, "no DTLS alert record (content type 21) before the relay stopped");
                Assert.True(goodbye.DtlsClosed, "the alert did not decrypt to close_notify");
                Assert.Equal(0, caller.UnreadableDatagrams);
            }
            Assert.Equal(0, relay.Server.Sessions.Count);
        }
        finally
        {
            foreach (var caller in callers)
                caller.Dispose();
        }
    }
}
