using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeVoice.Bench.Relay;
using EdgeVoice.Testing;

namespace EdgeVoice.Bench.Calls;

/// <summary>One path under N concurrent echo calls, over the measured interval: the forwarder's CPU and the echo round trip.</summary>
internal sealed record PathFigures(string Path, int Calls, string Arrivals, double Seconds, double CpuMsPerCallSecond, double CpuUsPerPacket,
    long FramesSent, long FramesEchoed, double Loss, double RttP50Ms, double RttP99Ms, double RttMaxMs, string LoadAverage, string Note);

/// <summary>
/// `EdgeVoice.Bench calls [--calls 8,64] ...` (bench/calls.sh): a load generator of many synthetic callers (not browsers),
/// one thread, each caller sending a 20 ms frame stamped (caller, frame number) in its payload and timing the echo, run
/// in the same invocation against: a bare UDP echo (shared/baselines udp_echo, the floor: one recvfrom + one sendto),
/// EdgeVoice's Native-AOT relay echoing, the same relay forwarding every frame to a transceiver over the QUIC tunnel
/// (an echoing transceiver in this process), and pion_relay. Prints forwarder CPU per call and the latency each adds
/// over the bare echo (RTT percentile minus the bare echo's), with ratios to the bare echo; writes JSON.
/// </summary>
internal static class CallLoadCommand
{
    private const string Usage = """
        usage: EdgeVoice.Bench calls [options]
          --calls 8,64          concurrent calls per run
          --paths LIST          udp,edgevoice,tunnel,pion (default all; udp is the baseline and always runs)
          --arrivals spread     spread (sends spaced over the 20 ms) or burst
          --warmup S            seconds of load before the measured interval (3)
          --seconds S           measured seconds per run (10)
          --out DIR             where the JSON goes (artifacts/bench)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return 0;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                Console.Error.WriteLine($"unknown argument {args[i]}\n{Usage}");
                return 2;
            }
            options[args[i][2..]] = args[++i];
        }
        int[] calls = Get(options, "calls", "8,64").Split(',').Select(int.Parse).ToArray();
        var paths = Get(options, "paths", "udp,edgevoice,tunnel,pion").Split(',').Select(p => p.Trim().ToLowerInvariant()).ToList();
        if (!paths.Contains("udp"))
            paths.Insert(0, "udp");
        bool spread = Get(options, "arrivals", "spread") == "spread";
        var warmup = TimeSpan.FromSeconds(double.Parse(Get(options, "warmup", "3"), CultureInfo.InvariantCulture));
        var measured = TimeSpan.FromSeconds(double.Parse(Get(options, "seconds", "10"), CultureInfo.InvariantCulture));
        string root = BenchRoot.Find();
        string outDir = Path.GetFullPath(Get(options, "out", Path.Combine(root, "artifacts", "bench")));
        var started = DateTimeOffset.UtcNow;
        Console.WriteLine($"calls bench {started:u}: paths {string.Join(',', paths)}, calls {string.Join(',', calls)}; machine {JsonSerializer.Serialize(BenchReport.Machine())}");

        var results = new List<PathFigures>();
        foreach (int n in calls)
        {
            foreach (string path in paths)
            {
                Console.WriteLine($"{path}: {n} calls, {(spread ? "spread" : "burst")} arrivals ({warmup.TotalSeconds} s warm-up, {measured.TotalSeconds} s measured) ...");
                var figures = path switch
                {
                    "udp" => await RunBareUdpAsync(root, n, spread, warmup, measured),
                    "edgevoice" => await RunRelayAsync(path, RelayKind.EdgeVoice, root, n, spread, warmup, measured, tunnel: false),
                    "tunnel" => await RunRelayAsync(path, RelayKind.EdgeVoice, root, n, spread, warmup, measured, tunnel: true),
                    "pion" => await RunRelayAsync(path, RelayKind.Pion, root, n, spread, warmup, measured, tunnel: false),
                    _ => throw new ArgumentException($"unknown path {path} (udp, edgevoice, tunnel, pion)"),
                };
                results.Add(figures);
                Console.WriteLine($"  {figures}");
            }
        }

        var table = Table(results);
        Console.Write(table.Text);
        Directory.CreateDirectory(outDir);
        string file = Path.Combine(outDir, $"calls-{started:yyyyMMdd-HHmmss}.json");
        var json = new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            started,
            finished = DateTimeOffset.UtcNow,
            machine = BenchReport.Machine(),
            method = "one load thread; each caller sends one 160-byte payload (as SRTP: 188 bytes; to the bare echo: a 188-byte datagram) every 20 ms, " +
                     "arrivals spread over the tick; RTT from the caller's own send stamp (caller, frame number in the payload) to the echo's arrival; " +
                     "added latency = the path's RTT percentile minus the bare UDP echo's in the same run; CPU = utime+stime of the forwarder process over the measured interval",
            figures = table.Rows,
            measurements = results,
        }, json));
        Console.WriteLine($"wrote {file}");
        return 0;
    }

    private static async Task<PathFigures> RunRelayAsync(string path, RelayKind kind, string root, int calls, bool spread, TimeSpan warmup, TimeSpan measured, bool tunnel)
    {
        using var transceiver = tunnel ? EchoTransceiver.Start(capacity: 1000) : null;
        await using var relay = await RelayChild.StartAsync(kind, root, extraYaml: transceiver?.RelayYaml ?? "");
        if (tunnel && !await TunnelUpAsync(relay))
            throw new InvalidOperationException($"the relay's tunnel to the echo transceiver did not come up:\n{relay.ReadLog()}");
        var f = await EchoScenario.RunAsync(relay, calls, spread, warmup, measured);
        return new PathFigures(path, calls, f.Arrivals, f.Seconds, f.CpuMsPerCallSecond, f.CpuUsPerPacket, f.FramesSent, f.FramesEchoed, f.Loss,
            f.RttP50Ms, f.RttP99Ms, f.RttMaxMs, f.LoadAverage, transceiver is null ? "" : $"echo transceiver: {transceiver.Counters()}");
    }

    /// <summary>The relay counts a transceiver once its tunnel is up and its Hello gave a capacity (stats: transceivers[].connected).</summary>
    internal static async Task<bool> TunnelUpAsync(RelayChild relay)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/stats");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", relay.Key);
            using var response = await relay.Client.SendAsync(request);
            using var stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (stats.RootElement.TryGetProperty("transceivers", out var list) && list.ValueKind == JsonValueKind.Array
                && list.EnumerateArray().Any(t => t.GetProperty("connected").GetBoolean() && t.GetProperty("capacity").GetUInt32() > 0))
                return true;
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>The floor: the same load against shared/baselines' udp_echo server (a child process), its CPU read from /proc.</summary>
    private static async Task<PathFigures> RunBareUdpAsync(string root, int calls, bool spread, TimeSpan warmup, TimeSpan measured)
    {
        string binary = Path.Combine(root, "out", "baselines", "udp_echo");
        if (!File.Exists(binary))
            throw new FileNotFoundException($"{binary} is missing: run bench/calls.sh, which builds the baselines");
        int port = FreePort.Udp();
        var info = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "server", $"127.0.0.1:{port}", "--idle-exit", "30" })
            info.ArgumentList.Add(a);
        using var server = Process.Start(info)!;
        CpuCgroup.TryAdopt(server.Id);
        var peers = new List<PlainUdpPeer>();
        try
        {
            for (int i = 0; i < calls; i++)
                peers.Add(new PlainUdpPeer(new IPEndPoint(IPAddress.Loopback, port)));
            if (!await AnswersAsync(peers[0]))
                throw new InvalidOperationException($"udp_echo on port {port} does not echo: {await server.StandardError.ReadToEndAsync()}");
            int capacity = (int)((warmup + measured + TimeSpan.FromSeconds(3)).TotalMilliseconds / 20);
            using var load = new EchoLoad(peers, capacity, spread);
            load.Start();
            await Task.Delay(warmup);
            int fromFrame = load.FramesStarted;
            var before = CpuSample.Read(server.Id);
            await Task.Delay(measured);
            var after = CpuSample.Read(server.Id);
            int toFrame = load.FramesStarted;
            load.StopSending();
            await Task.Delay(1000);
            load.Stop();
            var delta = after - before;
            var echo = load.Collect(fromFrame, toFrame);
            long packets = echo.Sent + echo.Echoed;
            double cpuMs = delta.Cpu.TotalMilliseconds;
            return new PathFigures("udp", calls, spread ? "spread" : "burst", delta.Wall.TotalSeconds, cpuMs / (calls * delta.Wall.TotalSeconds),
                packets == 0 ? double.NaN : cpuMs * 1000 / packets, echo.Sent, echo.Echoed, echo.Loss, echo.RttP50Ms, echo.RttP99Ms, echo.RttMaxMs,
                BenchReport.LoadAverage(), "shared/baselines udp_echo server");
        }
        finally
        {
            foreach (var p in peers) p.Dispose();
            if (!server.HasExited) server.Kill();
            await server.WaitForExitAsync();
            CpuCgroup.Release(server.Id);
        }
    }

    /// <summary>One datagram out and back before the load starts (the server binds after it starts).</summary>
    private static async Task<bool> AnswersAsync(PlainUdpPeer peer)
    {
        var buffer = new byte[2048];
        for (int attempt = 0; attempt < 50; attempt++)
        {
            peer.SendFrame(new byte[8]);
            if (peer.Socket.Poll(100_000, SelectMode.SelectRead))
            {
                try
                {
                    peer.Socket.Receive(buffer);
                    return true;
                }
                catch (SocketException)
                {
                    // ICMP port unreachable: not bound yet
                }
            }
            await Task.Delay(20);
        }
        return false;
    }

    private static (string Text, List<object> Rows) Table(List<PathFigures> results)
    {
        var text = new StringBuilder();
        var rows = new List<object>();
        text.AppendLine();
        text.AppendLine($"{"calls",5} {"path",-10} {"CPU ms/call-s",13} {"CPU us/pkt",10} {"x udp",7} {"RTT p50",8} {"RTT p99",8} {"added p50",9} {"added p99",9} {"p50 x udp",9} {"p99 x udp",9} {"loss %",7}");
        text.AppendLine(new string('-', 120));
        foreach (var group in results.GroupBy(r => r.Calls))
        {
            var floor = group.First(r => r.Path == "udp");
            foreach (var r in group)
            {
                double cpuRatio = r.CpuMsPerCallSecond / floor.CpuMsPerCallSecond;
                double added50 = r.RttP50Ms - floor.RttP50Ms, added99 = r.RttP99Ms - floor.RttP99Ms;
                double ratio50 = r.RttP50Ms / floor.RttP50Ms, ratio99 = r.RttP99Ms / floor.RttP99Ms;
                text.AppendLine($"{r.Calls,5} {r.Path,-10} {F(r.CpuMsPerCallSecond),13} {F(r.CpuUsPerPacket),10} {F(cpuRatio),7} {F(r.RttP50Ms),8} {F(r.RttP99Ms),8} " +
                                $"{F(added50),9} {F(added99),9} {F(ratio50),9} {F(ratio99),9} {F(r.Loss * 100),7}");
                rows.Add(new
                {
                    calls = r.Calls, path = r.Path,
                    cpu_ms_per_call_second = J(r.CpuMsPerCallSecond), cpu_us_per_packet = J(r.CpuUsPerPacket), cpu_ratio_to_udp = J(cpuRatio),
                    rtt_p50_ms = J(r.RttP50Ms), rtt_p99_ms = J(r.RttP99Ms), added_p50_ms = J(added50), added_p99_ms = J(added99),
                    rtt_p50_ratio_to_udp = J(ratio50), rtt_p99_ratio_to_udp = J(ratio99), loss_percent = J(r.Loss * 100), load_average = r.LoadAverage,
                });
            }
        }
        text.AppendLine("RTT, added: milliseconds; added = path RTT percentile - bare UDP echo's; x udp = path / bare UDP echo (same run).");
        return (text.ToString(), rows);
    }

    private static string F(double v) => BenchReport.Format(v);

    private static double? J(double v) => double.IsFinite(v) ? Math.Round(v, 4) : null;

    private static string Get(Dictionary<string, string> options, string name, string fallback) =>
        options.TryGetValue(name, out string? value) ? value : fallback;
}

/// <summary>The checkout the bench runs in (the folder holding EdgeVoice.sln).</summary>
internal static class BenchRoot
{
    public static string Find()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EdgeVoice.sln")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException("EdgeVoice.sln not found above the current directory: run from a checkout");
    }
}
