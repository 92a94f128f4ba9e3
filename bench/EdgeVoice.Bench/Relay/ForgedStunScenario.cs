using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.Bench.Relay;

internal sealed record ForgedStunFigures(RelayKind Relay, long Sent, long KernelDrops, long Processed, double Seconds, double CpuMs,
    double CpuUsPerDatagram, double WakeupsPerSecond, double? CountedByRelay, double? LiveCalls, double? CallsConnectedDelta,
    double? UnknownSessionDelta, string LoadAverage);

/// <summary>
/// Scenario 2: N well-formed STUN binding requests (USERNAME "random 24 chars:abcd", MESSAGE-INTEGRITY under a random
/// key, FINGERPRINT), each with a fresh random ufrag, sent from a few loopback sockets in paced bursts. Relay CPU is
/// divided by the datagrams that reached it (sent minus the kernel's drops on the relay's socket).
/// </summary>
internal static class ForgedStunScenario
{
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private const int Sources = 8;

    public static byte[][] Build(int count)
    {
        var datagrams = new byte[count][];
        Span<byte> buffer = stackalloc byte[256];
        Span<byte> transaction = stackalloc byte[12];
        Span<byte> key = stackalloc byte[22];
        for (int i = 0; i < count; i++)
        {
            string username = RandomNumberGenerator.GetString(IceChars, 24) + ":abcd";
            RandomNumberGenerator.Fill(transaction);
            RandomNumberGenerator.Fill(key);
            int length = StunWriter.WriteBindingRequest(buffer, transaction, Encoding.ASCII.GetBytes(username),
                priority: 1853824767, tieBreaker: (ulong)Random.Shared.NextInt64(), useCandidate: true, key);
            datagrams[i] = buffer[..length].ToArray();
        }
        return datagrams;
    }

    public static async Task<ForgedStunFigures> RunAsync(RelayChild relay, byte[][] datagrams, int ratePerSecond, int burst)
    {
        var sockets = Enumerable.Range(0, Sources).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            s.Connect(relay.Udp);
            return s;
        }).ToArray();
        try
        {
            var statsBefore = await relay.StatsAsync();
            long dropsBefore = relay.UdpDrops();
            var cpuBefore = relay.Cpu();
            await Task.Run(() => Send(sockets, datagrams, ratePerSecond, burst));
            await Task.Delay(1000); // let the relay drain its socket
            var cpuAfter = relay.Cpu();
            long drops = relay.UdpDrops() - dropsBefore;
            var statsAfter = await relay.StatsAsync();

            var delta = cpuAfter - cpuBefore;
            long processed = datagrams.Length - drops;
            double? counted = relay.IsEdgeVoice ? Delta(statsBefore, statsAfter, "stun_forged") : null;
            double? live = statsAfter.TryGetValue("calls", out double calls) ? calls : null; // pion reports live calls
            double? connected = relay.IsEdgeVoice ? Delta(statsBefore, statsAfter, "calls_connected") : Delta(statsBefore, statsAfter, "setups");
            double? unknown = relay.IsEdgeVoice ? Delta(statsBefore, statsAfter, "stun_unknown_session") : null;
            return new ForgedStunFigures(relay.Kind, datagrams.Length, drops, processed, delta.Wall.TotalSeconds, delta.Cpu.TotalMilliseconds,
                delta.Cpu.TotalMilliseconds * 1000 / Math.Max(1, processed), delta.WakeupsPerSecond, counted, live, connected, unknown,
                BenchReport.LoadAverage());
        }
        finally
        {
            foreach (var s in sockets)
                s.Dispose();
        }
    }

    private static void Send(Socket[] sockets, byte[][] datagrams, int ratePerSecond, int burst)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < datagrams.Length; i++)
        {
            if (i % burst == 0)
            {
                // Burst k is due at k * burst / rate seconds.
                double due = (double)i / ratePerSecond;
                double wait = due - clock.Elapsed.TotalSeconds;
                if (wait > 0)
                    Thread.Sleep(TimeSpan.FromSeconds(wait));
            }
            sockets[i % sockets.Length].Send(datagrams[i], SocketFlags.None, out _);
        }
    }

    private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string name) =>
        after.GetValueOrDefault(name) - before.GetValueOrDefault(name);
}
