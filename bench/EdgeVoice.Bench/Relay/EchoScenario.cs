using EdgeVoice.Testing;

namespace EdgeVoice.Bench.Relay;

/// <summary>What one relay did under N echo calls at 50 packets/s each way, over the measured interval only.</summary>
internal sealed record EchoFigures(RelayKind Relay, int Calls, string Arrivals, double Seconds, double CpuMs, double CpuMsPerCallSecond, double CpuUsPerPacket,
    long RelayPackets, double WakeupsPerSecond, double MediaThreadWakeupsPerSecond, long FramesSent, long FramesEchoed, double Loss,
    double RttP50Ms, double RttP99Ms, double RttMaxMs, double ConnectSeconds, string LoadAverage);

/// <summary>
/// Scenario 1: N synthetic callers connect (in small batches), then one thread sends a 160-byte frame per caller every
/// 20 ms (all in one burst, or spread over the 20 ms) and times each echo. Relay CPU (utime + stime) is taken over the measured seconds only, after a warm-up.
/// </summary>
internal static class EchoScenario
{
    private const int ConnectBatch = 4;

    public static async Task<EchoFigures> RunAsync(RelayChild relay, int calls, bool spread, TimeSpan warmup, TimeSpan measured)
    {
        var callers = new List<SyntheticCaller>();
        var connectClock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            while (callers.Count < calls)
            {
                int batch = Math.Min(ConnectBatch, calls - callers.Count);
                var connecting = Enumerable.Range(0, batch)
                    .Select(_ => SyntheticCaller.ConnectAsync(relay.Client, relay.BaseUri, relay.Key, cancel.Token)).ToArray();
                callers.AddRange(await Task.WhenAll(connecting));
            }
            double connectSeconds = connectClock.Elapsed.TotalSeconds;

            int capacity = (int)((warmup + measured + TimeSpan.FromSeconds(3)).TotalMilliseconds / 20);
            using var load = new EchoLoad(callers, capacity, spread);
            load.Start();
            await Task.Delay(warmup);
            var statsBefore = await relay.StatsAsync();
            int fromFrame = load.FramesStarted;
            var cpuBefore = relay.Cpu();
            await Task.Delay(measured);
            var cpuAfter = relay.Cpu();
            int toFrame = load.FramesStarted;
            var statsAfter = await relay.StatsAsync();
            load.StopSending();
            await Task.Delay(1000); // late echoes of the measured frames still count
            load.Stop();

            var delta = cpuAfter - cpuBefore;
            var echo = load.Collect(fromFrame, toFrame);
            long packets = relay.IsEdgeVoice
                ? (long)(Delta(statsBefore, statsAfter, "rtp_received") + Delta(statsBefore, statsAfter, "rtp_sent"))
                : (long)(Delta(statsBefore, statsAfter, "rx_packets") + Delta(statsBefore, statsAfter, "tx_packets"));
            double seconds = delta.Wall.TotalSeconds;
            double cpuMs = delta.Cpu.TotalMilliseconds;
            return new EchoFigures(relay.Kind, calls, spread ? "spread" : "burst", seconds, cpuMs, cpuMs / (calls * seconds), packets == 0 ? double.NaN : cpuMs * 1000 / packets,
                packets, delta.WakeupsPerSecond, delta.MediaWakeupsPerSecond, echo.Sent, echo.Echoed, echo.Loss,
                echo.RttP50Ms, echo.RttP99Ms, echo.RttMaxMs, connectSeconds, BenchReport.LoadAverage());
        }
        finally
        {
            await HangUpAllAsync(relay, callers);
        }
    }

    internal static async Task HangUpAllAsync(RelayChild relay, List<SyntheticCaller> callers)
    {
        foreach (var caller in callers)
        {
            try
            {
                await caller.HangUpAsync(relay.Client, relay.BaseUri, relay.Key, CancellationToken.None);
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or TaskCanceledException)
            {
                Console.WriteLine($"  hang-up of {caller.Location} on {relay.Kind}: {ex.Message}");
            }
            caller.Dispose();
        }
        callers.Clear();
    }

    private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string name) =>
        after.GetValueOrDefault(name) - before.GetValueOrDefault(name);
}
