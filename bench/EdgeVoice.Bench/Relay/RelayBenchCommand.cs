using System.Globalization;

namespace EdgeVoice.Bench.Relay;

/// <summary>
/// `EdgeVoice.Bench relay [echo|stun|setup|all] [options]`: each scenario runs against EdgeVoice's Native-AOT relay and
/// pion_relay in the same run (fresh child processes per scenario), prints a table (EdgeVoice, pion, ratio) and writes
/// the figures as JSON to artifacts/bench/relay-DATE.json.
/// </summary>
internal static class RelayBenchCommand
{
    private const string Usage = """
        usage: EdgeVoice.Bench relay [echo|stun|setup|all]... [options]
          --calls 8,64          concurrent echo calls per run (scenario echo)
          --arrivals LIST       burst (every caller's frame at the tick), spread (spaced over the 20 ms), or both (default)
          --warmup S            seconds of load before the measured interval (3)
          --seconds S           measured seconds per echo run (15)
          --stun-count N        forged STUN datagrams (200000)
          --stun-rate R         forged datagrams per second (20000), sent in bursts of --stun-burst (100)
          --setups K            sequential synthetic (SyntheticCaller) setups (40)
          --aiortc M            sequential aiortc calls, 0 to skip (10)
          --chromium C          sequential headless Chromium calls, 0 to skip (10)
          --relays LIST         edgevoice,pion (default both)
          --out DIR             where the JSON goes (artifacts/bench)
          --before PATH         also run this EdgeVoice binary (e.g. the build before a change) in the same run
          --repeat N            rounds per scenario (1): each round runs every relay, in an order rotated per round, and the
                                table shows each relay's median round (by CPU); every round's CPU figure is in the notes
          --batch-window W      media.batch_window for the EdgeVoice relay (not --before's), e.g. 10ms (default: the relay's own, 20ms);
                                with --before artifacts/relay/edgevoice-relay it compares two windows on one binary in one run
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var scenarios = new List<string>();
        var options = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                Console.WriteLine(Usage);
                return 0;
            }
            if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
                options[args[i][2..]] = args[++i];
            else if (args[i] is "echo" or "stun" or "setup" or "all")
                scenarios.Add(args[i]);
            else
            {
                Console.Error.WriteLine($"unknown argument {args[i]}\n{Usage}");
                return 2;
            }
        }
        if (scenarios.Count == 0 || scenarios.Contains("all"))
            scenarios = ["echo", "stun", "setup"];

        int[] calls = Get(options, "calls", "8,64").Split(',').Select(int.Parse).ToArray();
        string arrivalOption = Get(options, "arrivals", "both");
        bool[] spreads = arrivalOption == "both" ? [false, true] : [arrivalOption == "spread"];
        var warmup = TimeSpan.FromSeconds(double.Parse(Get(options, "warmup", "3"), CultureInfo.InvariantCulture));
        var measured = TimeSpan.FromSeconds(double.Parse(Get(options, "seconds", "15"), CultureInfo.InvariantCulture));
        int stunCount = int.Parse(Get(options, "stun-count", "200000"));
        int stunRate = int.Parse(Get(options, "stun-rate", "20000"));
        int stunBurst = int.Parse(Get(options, "stun-burst", "100"));
        int setups = int.Parse(Get(options, "setups", "40"));
        int aiortc = int.Parse(Get(options, "aiortc", "10"));
        int chromium = int.Parse(Get(options, "chromium", "10"));
        int repeat = Math.Max(1, int.Parse(Get(options, "repeat", "1")));
        var relays = Get(options, "relays", "edgevoice,pion").Split(',')
            .Select(r => r.Trim().ToLowerInvariant() == "pion" ? RelayKind.Pion : RelayKind.EdgeVoice).Distinct().ToList();
        string? before = options.TryGetValue("before", out string? b) ? Path.GetFullPath(b) : null;
        string? batchWindow = options.GetValueOrDefault("batch-window");
        if (before is not null)
            relays.Add(RelayKind.EdgeVoiceBefore);
        string root = FindRoot();
        string outDir = Path.GetFullPath(Get(options, "out", Path.Combine(root, "artifacts", "bench")));

        var report = new BenchReport();
        Console.WriteLine($"relay bench {report.Started:u}: {string.Join(' ', scenarios)}; machine {System.Text.Json.JsonSerializer.Serialize(BenchReport.Machine())}");
        Console.WriteLine($"  load average at start: {BenchReport.LoadAverage()}");
        report.Note($"EdgeVoice relay's media.batch_window: {batchWindow ?? "the relay's default (20ms)"}" + (before is null ? "" : $"; edgevoice_before = {before} with the relay's default window"));

        if (scenarios.Contains("echo"))
        {
            foreach (bool spread in spreads)
            foreach (int n in calls)
            {
                var runs = new Rounds<EchoFigures>(relays, repeat, r => r.CpuMsPerCallSecond);
                foreach (var kind in runs.Order())
                {
                    Console.WriteLine($"echo: {n} calls on {kind}, {(spread ? "spread" : "burst")} arrivals ({warmup.TotalSeconds} s warm-up, {measured.TotalSeconds} s measured) ...");
                    await using var relay = await RelayChild.StartAsync(kind, root, before, kind == RelayKind.EdgeVoice ? batchWindow : null);
                    var figures = await EchoScenario.RunAsync(relay, n, spread, warmup, measured);
                    runs.Add(kind, figures);
                    report.Raw(figures);
                    Console.WriteLine($"  {figures}");
                }
                var results = runs.Medians();
                string s = $"echo, {n} calls, {(spread ? "spread" : "burst")}";
                var ev = results.GetValueOrDefault(RelayKind.EdgeVoice);
                var pion = results.GetValueOrDefault(RelayKind.Pion);
                var figure = Pick(results, s);
                double evCpu = ev?.CpuMsPerCallSecond ?? double.NaN, pionCpu = pion?.CpuMsPerCallSecond ?? double.NaN;
                // The issue's target ("pion measures 7-9 ms here") is independent callers, each at its own phase: spread.
                // Burst puts every caller's frame at the same instant, where even the bare UDP echo baseline is not 8x
                // below pion (bench/calls.sh --arrivals burst): a stress case, reported without a target.
                report.Add(spread
                    ? figure("relay CPU per call-second", "ms", r => r.CpuMsPerCallSecond, "EV <= 1 ms and >= 8x less than pion",
                        ev is null || pion is null ? null : evCpu <= 1 && pionCpu / evCpu >= 8)
                    : figure("relay CPU per call-second", "ms", r => r.CpuMsPerCallSecond, "stress case, no target: callers in step", null));
                report.Add(figure("relay CPU per packet", "us", r => r.CpuUsPerPacket, "", null));
                report.Add(figure("relay wake-ups per second", "1/s", r => r.WakeupsPerSecond, "all threads, voluntary switches", null));
                report.Add(figure("echo RTT p50", "ms", r => r.RttP50Ms, "", null));
                report.Add(figure("echo RTT p99", "ms", r => r.RttP99Ms, "", null));
                report.Add(figure("echo loss", "%", r => r.Loss * 100, "", null));
                report.Note($"{s}: load average EdgeVoice [{ev?.LoadAverage}] pion [{pion?.LoadAverage}]; EdgeVoice media thread wake-ups/s {BenchReport.Format(ev?.MediaThreadWakeupsPerSecond ?? double.NaN)}");
                runs.Note(report, s, "relay CPU per call-second (ms)");
            }
        }

        if (scenarios.Contains("stun"))
        {
            Console.WriteLine($"stun: building {stunCount} forged binding requests ...");
            var datagrams = ForgedStunScenario.Build(stunCount);
            var runs = new Rounds<ForgedStunFigures>(relays, repeat, r => r.CpuUsPerDatagram);
            foreach (var kind in runs.Order())
            {
                Console.WriteLine($"stun: {stunCount} forged checks at {stunRate}/s on {kind} ...");
                await using var relay = await RelayChild.StartAsync(kind, root, before, kind == RelayKind.EdgeVoice ? batchWindow : null);
                var figures = await ForgedStunScenario.RunAsync(relay, datagrams, stunRate, stunBurst);
                runs.Add(kind, figures);
                report.Raw(figures);
                Console.WriteLine($"  {figures}");
            }
            var results = runs.Medians();
            var ev = results.GetValueOrDefault(RelayKind.EdgeVoice);
            var pion = results.GetValueOrDefault(RelayKind.Pion);
            const string s = "forged STUN";
            var figure = Pick(results, s);
            report.Add(figure("relay CPU per forged datagram", "us", r => r.CpuUsPerDatagram, "EV <= 3 us", ev is null ? null : ev.CpuUsPerDatagram <= 3));
            report.Add(figure("kernel drops on relay socket", "dgrams", r => r.KernelDrops, "", null));
            report.Add(figure("wake-ups per second", "1/s", r => r.WakeupsPerSecond, "", null));
            if (ev is not null)
            {
                bool counted = ev.CountedByRelay == ev.Processed;
                report.Note($"{s}: EdgeVoice stun_forged +{ev.CountedByRelay} of {ev.Processed} that reached it ({(counted ? "all counted" : "MISMATCH")}); " +
                    $"calls_connected +{ev.CallsConnectedDelta}, stun_unknown_session +{ev.UnknownSessionDelta} (no session created)");
            }
            if (pion is not null)
                report.Note($"{s}: pion live calls after = {pion.LiveCalls}, setups +{pion.CallsConnectedDelta}");
            report.Note($"{s}: load average EdgeVoice [{ev?.LoadAverage}] pion [{pion?.LoadAverage}]");
            runs.Note(report, s, "relay CPU per forged datagram (us)");
        }

        if (scenarios.Contains("setup"))
        {
            string temp = Directory.CreateTempSubdirectory("edgevoice-bench-wav-").FullName;
            string wav = SetupScenario.WriteToneWav(temp);
            var synthetic = new Rounds<SetupFigures>(relays, repeat, r => r.CpuMsPerCall);
            var viaAiortc = new Rounds<SetupFigures>(relays, repeat, r => r.SetupP50Ms);
            var viaChromium = new Rounds<SetupFigures>(relays, repeat, r => r.SetupP50Ms);
            async Task CallersAsync(string callers, int count, Rounds<SetupFigures> rounds, RelayKind kind, Func<Task<SetupFigures>> run)
            {
                if (count <= 0)
                    return;
                Console.WriteLine($"setup: {count} {callers} calls on {kind} ...");
                var called = await run();
                rounds.Add(kind, called);
                report.Raw(called);
                Console.WriteLine($"  p50 {called.SetupP50Ms:F1} ms, failed {called.Failed} {string.Join("; ", called.Errors)}");
            }
            foreach (var kind in synthetic.Order())
            {
                await using var relay = await RelayChild.StartAsync(kind, root, before, kind == RelayKind.EdgeVoice ? batchWindow : null);
                Console.WriteLine($"setup: {setups} synthetic (SyntheticCaller) setups on {kind} ...");
                // Enough warm-up calls that the bench's own caller code is at tier-1 JIT for every relay: with 3, the
                // relay measured first met a slower caller (tier-0 code, background JIT) and showed more CPU per setup.
                var figures = await SetupScenario.RunSyntheticAsync(relay, setups, warmupCalls: 60);
                synthetic.Add(kind, figures);
                report.Raw(figures);
                Console.WriteLine($"  p50 {figures.SetupP50Ms:F1} ms, CPU/setup {figures.CpuMsPerCall:F2} ms");
                await CallersAsync("aiortc", aiortc, viaAiortc, kind, () => SetupScenario.RunAiortcAsync(relay, root, wav, aiortc, mediaSeconds: 0.5));
                await CallersAsync("headless Chromium", chromium, viaChromium, kind, () => SetupScenario.RunChromiumAsync(relay, root, wav, chromium, warmupCalls: 3));
            }
            Directory.Delete(temp, recursive: true);
            AddSetup(report, "setup, synthetic caller", synthetic.Medians(), cpuTarget: true);
            synthetic.Note(report, "setup, synthetic caller", "relay CPU per setup (ms)");
            if (aiortc > 0)
            {
                AddSetup(report, "setup, aiortc", viaAiortc.Medians(), cpuTarget: false, "relay CPU per call (0.5 s media)");
                viaAiortc.Note(report, "setup, aiortc", "POST -> connected p50 (ms)");
            }
            if (chromium > 0)
            {
                AddSetup(report, "setup, Chromium", viaChromium.Medians(), cpuTarget: false, "relay CPU per call (to hang-up)");
                viaChromium.Note(report, "setup, Chromium", "POST -> connected p50 (ms)");
            }
        }

        report.Print();
        Console.WriteLine($"load average at end: {BenchReport.LoadAverage()}");
        Console.WriteLine($"wrote {report.WriteJson(outDir)}");
        return 0;
    }

    private static void AddSetup(BenchReport report, string s, Dictionary<RelayKind, SetupFigures> results, bool cpuTarget, string cpuMetric = "relay CPU per setup (+hang-up)")
    {
        var ev = results.GetValueOrDefault(RelayKind.EdgeVoice);
        var pion = results.GetValueOrDefault(RelayKind.Pion);
        bool both = ev is not null && pion is not null;
        var figure = Pick(results, s);
        report.Add(figure("POST -> connected p50", "ms", r => r.SetupP50Ms, "EV no slower than pion", both ? ev!.SetupP50Ms <= pion!.SetupP50Ms : null));
        report.Add(figure("POST -> connected p90", "ms", r => r.SetupP90Ms, "", null));
        report.Add(figure(cpuMetric, "ms", r => r.CpuMsPerCall,
            cpuTarget ? "EV <= 2 ms" : "", cpuTarget && ev is not null ? ev.CpuMsPerCall <= 2 : null));
        report.Note($"{s}: calls EdgeVoice {ev?.Calls} (failed {ev?.Failed}), pion {pion?.Calls} (failed {pion?.Failed}); " +
            $"load average EdgeVoice [{ev?.LoadAverage}] pion [{pion?.LoadAverage}]");
    }

    /// <summary>Builds a figure from each relay's result: EdgeVoice, pion and (when run) the --before binary.</summary>
    private static Func<string, string, Func<T, double>, string, bool?, Figure> Pick<T>(Dictionary<RelayKind, T> results, string scenario)
        where T : class => (metric, unit, select, target, met) =>
        {
            double Value(RelayKind kind) => results.TryGetValue(kind, out var r) ? select(r) : double.NaN;
            return new Figure(scenario, metric, unit, Value(RelayKind.EdgeVoice), Value(RelayKind.Pion), target, met) { Before = Value(RelayKind.EdgeVoiceBefore) };
        };

    private static string Get(Dictionary<string, string> options, string name, string fallback) =>
        options.TryGetValue(name, out string? value) ? value : fallback;

    private static string FindRoot()
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

    /// <summary>
    /// Each relay's results over the rounds of one scenario. The order rotates each round, so no relay always runs first
    /// (or right after a given other one); the median round, by <c>key</c>, stands for the relay.
    /// </summary>
    private sealed class Rounds<T>(List<RelayKind> relays, int repeat, Func<T, double> key) where T : class
    {
        private readonly Dictionary<RelayKind, List<T>> _runs = relays.ToDictionary(kind => kind, _ => new List<T>());

        public IEnumerable<RelayKind> Order()
        {
            for (int round = 0; round < repeat; round++)
            {
                for (int i = 0; i < relays.Count; i++)
                    yield return relays[(i + round) % relays.Count];
            }
        }

        public void Add(RelayKind kind, T result) => _runs[kind].Add(result);

        /// <summary>Each relay's median round (the lower middle one for an even count).</summary>
        public Dictionary<RelayKind, T> Medians() => _runs.Where(p => p.Value.Count > 0)
            .ToDictionary(p => p.Key, p => p.Value.OrderBy(key).ElementAt((p.Value.Count - 1) / 2));

        public void Note(BenchReport report, string scenario, string metric)
        {
            if (repeat == 1)
                return;
            report.Note($"{scenario}: {metric} in each of {repeat} rounds: " + string.Join("; ",
                _runs.Select(p => $"{p.Key} {string.Join(' ', p.Value.Select(r => BenchReport.Format(key(r))))}")));
        }
    }
}
