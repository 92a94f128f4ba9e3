using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeVoice.Bench.Calls;
using EdgeVoice.Bench.Relay;
using EdgeVoice.Testing;
using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Serve;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Bench.Conversation;

/// <summary>One turn: from the caller's last speech frame sent to the first reply frame received, and how long the reply was.</summary>
internal sealed record TurnFigures(string Path, int Turn, double LatencyMs, int ReplyFrames);

/// <summary>
/// `EdgeVoice.Bench conversation [--turns N]` (bench/conversation.sh): "end of the caller's speech to the first reply
/// audio at the caller", loopback, embedded default engines (configs/transceiver.yaml). The network path: the published
/// Native-AOT relay (child process) and a transceiver <c>serve</c> host (in this process) over the real QUIC tunnel, a
/// synthetic caller speaking an espeak-ng question in 20 ms SRTP frames, then silence. The baseline, in the same run
/// and turn by turn: the same pipeline (SessionHost, same config) fed the same Opus frames on the same 20 ms clock,
/// without relay, tunnel or sockets. The ratio network / baseline shows what relay + tunnel add.
/// </summary>
internal static class ConversationBenchCommand
{
    private const string Usage = """
        usage: EdgeVoice.Bench conversation [options]
          --turns N             questions per path (10)
          --question TEXT       what the caller asks ("call my mother"; the demo grammar's domain)
          --config FILE         transceiver config (configs/transceiver.yaml)
          --out DIR             where the JSON goes (artifacts/bench)
        """;
    private static readonly TimeSpan TurnLimit = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan ReplyOver = TimeSpan.FromMilliseconds(800);

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
        string root = BenchRoot.Find();
        int turns = int.Parse(options.GetValueOrDefault("turns", "10"), CultureInfo.InvariantCulture);
        string question = options.GetValueOrDefault("question", "call my mother");
        string configPath = Path.GetFullPath(options.GetValueOrDefault("config", Path.Combine(root, "configs", "transceiver.yaml")));
        string outDir = Path.GetFullPath(options.GetValueOrDefault("out", Path.Combine(root, "artifacts", "bench")));
        var started = DateTimeOffset.UtcNow;
        Console.WriteLine($"conversation bench {started:u}: {turns} turns per path, question '{question}', config {configPath}; machine {JsonSerializer.Serialize(BenchReport.Machine())}");

        var speech = SpeechFrames.Encode(question);
        Console.WriteLine($"  question: {speech.Frames.Count} frames, last speech in frame {speech.LastSpeechFrame}, Opus {new OpusFrameEncoder(32_000).Kind}");
        var config = ConfigLocator.Load(configPath);
        string directory = Directory.CreateTempSubdirectory("edgevoice-bench-conversation-").FullName;
        var results = new List<TurnFigures>();
        try
        {
            string relayYaml = WriteCluster(directory, config);
            var tunnel = ServeCommand.LoadTunnel(config, Path.Combine(directory, "tunnel.yaml"));
            var log = new ConcurrentQueue<string>();
            await using var transceiver = TunnelSessionServer.Start(config, tunnel.CreateOptions(Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance),
                tunnel.Listen!, log.Enqueue);
            await using var relay = await RelayChild.StartAsync(RelayKind.EdgeVoice, root, extraYaml: relayYaml);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            if (!await CallLoadCommand.TunnelUpAsync(relay))
                throw new InvalidOperationException($"the relay did not connect to the transceiver:\n{relay.ReadLog()}");
            using var caller = await SyntheticCaller.ConnectAsync(relay.Client, relay.BaseUri, relay.Key, cancel.Token);
            var network = new NetworkPath(caller);

            var host = new SessionHost(config, _ => { });
            if (!host.TryOpen(Pacing.RealTime, out var hosted, out string? refusal))
                throw new InvalidOperationException($"the baseline session did not open: {refusal}");
            await using (hosted!)
            {
                var direct = new DirectPath(hosted!.Pipeline);
                // A warm-up turn on each path (first-use costs: JIT, engine start), then the measured turns alternating.
                Console.WriteLine("  warm-up turn on each path ...");
                Turn(network, speech, 0);
                Turn(direct, speech, 0);
                for (int i = 1; i <= turns; i++)
                {
                    foreach (var path in new IConversationPath[] { network, direct })
                    {
                        var t = Turn(path, speech, i);
                        results.Add(t);
                        Console.WriteLine($"  turn {i} {t.Path,-8}: {t.LatencyMs,7:F1} ms to the first reply frame ({t.ReplyFrames} reply frames)");
                    }
                }
            }
            await caller.HangUpAsync(relay.Client, relay.BaseUri, relay.Key, CancellationToken.None);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        var summary = Summarize(results);
        foreach (string line in summary.Lines)
            Console.WriteLine(line);
        Directory.CreateDirectory(outDir);
        string file = Path.Combine(outDir, $"conversation-{started:yyyyMMdd-HHmmss}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            started,
            finished = DateTimeOffset.UtcNow,
            machine = BenchReport.Machine(),
            load_average_at_end = BenchReport.LoadAverage(),
            question,
            config = configPath,
            method = "latency = caller's last frame holding speech (above -40 dBFS) sent -> first agent reply frame received; one call, turns alternate between " +
                     "network (AOT relay child + tunnel + transceiver serve host, caller over SRTP/UDP) and baseline (SessionHost pipeline fed the same Opus frames " +
                     "on the same 20 ms clock, no sockets); one warm-up turn per path not counted",
            figures = summary.Figures,
            turns = results,
        }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        Console.WriteLine($"wrote {file}");
        return results.Any(r => r.ReplyFrames == 0) ? 1 : 0;
    }

    /// <summary>Speaks the question, then silence until the reply has ended; times the last speech frame to the first reply frame.</summary>
    private static TurnFigures Turn(IConversationPath path, SpeechFrames speech, int turn)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan lastSpeechSent = TimeSpan.Zero, firstReply = TimeSpan.Zero, lastReply = TimeSpan.Zero;
        int replies = 0;
        for (int frame = 0; clock.Elapsed < TurnLimit; frame++)
        {
            path.Send(frame < speech.Frames.Count ? speech.Frames[frame] : speech.Silence);
            if (frame == speech.LastSpeechFrame)
                lastSpeechSent = clock.Elapsed;
            var slotEnd = TimeSpan.FromMilliseconds(20 * (frame + 1));
            while (clock.Elapsed < slotEnd)
            {
                if (path.TryReceive(slotEnd - clock.Elapsed))
                {
                    var at = clock.Elapsed;
                    if (frame < speech.LastSpeechFrame)
                        continue; // a late frame of the previous reply
                    if (replies++ == 0)
                        firstReply = at;
                    lastReply = at;
                }
            }
            if (replies > 0 && clock.Elapsed - lastReply > ReplyOver)
                break;
        }
        return new TurnFigures(path.Name, turn, replies == 0 ? double.NaN : (firstReply - lastSpeechSent).TotalMilliseconds, replies);
    }

    private static (List<string> Lines, List<object> Figures) Summarize(List<TurnFigures> results)
    {
        double[] Sorted(string path) => results.Where(r => r.Path == path && double.IsFinite(r.LatencyMs)).Select(r => r.LatencyMs).Order().ToArray();
        var net = Sorted("network");
        var direct = Sorted("baseline");
        var lines = new List<string> { "", $"{"metric",-42} {"network",9} {"baseline",9} {"net/base",9} {"added ms",9}", new string('-', 84) };
        var figures = new List<object>();
        foreach (var (name, p) in new[] { ("p50", 0.50), ("p90", 0.90), ("max", 1.0) })
        {
            double n = Percentile(net, p), b = Percentile(direct, p);
            lines.Add($"{"speech end -> first reply frame " + name + " (ms)",-42} {BenchReport.Format(n),9} {BenchReport.Format(b),9} {BenchReport.Format(n / b) + "x",9} {BenchReport.Format(n - b),9}");
            figures.Add(new { metric = $"speech end -> first reply frame {name}", unit = "ms", network = J(n), baseline = J(b), ratio_network_over_baseline = J(n / b), added_ms = J(n - b) });
        }
        lines.Add($"turns measured: network {net.Length}, baseline {direct.Length} (turns without a reply: {results.Count(r => r.ReplyFrames == 0)})");
        return (lines, figures);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double? J(double v) => double.IsFinite(v) ? Math.Round(v, 3) : null;

    /// <summary>A cluster CA, certificates for relay-1 and gpu-1, gpu-1's tunnel file; returns the relay's <c>transceivers:</c> section.</summary>
    private static string WriteCluster(string directory, TransceiverConfig config)
    {
        var now = DateTimeOffset.UtcNow;
        using (var ca = ClusterPki.CreateCa("bench", now.AddDays(-1), now.AddDays(1)))
        {
            PkiFiles.WriteCertificate(Path.Combine(directory, "ca.crt"), ca, overwrite: true);
            foreach (var (role, name) in new[] { (NodeRole.Relay, "relay-1"), (NodeRole.Transceiver, "gpu-1") })
            {
                using var node = ClusterPki.IssueNode(ca, new NodeIdentity(role, name), now.AddDays(-1), now.AddDays(1));
                PkiFiles.WriteCertificate(Path.Combine(directory, name + ".crt"), node, overwrite: true);
                PkiFiles.WritePrivateKey(Path.Combine(directory, name + ".key"), node, overwrite: true);
            }
        }
        int port = FreePort.Udp();
        File.WriteAllText(Path.Combine(directory, "tunnel.yaml"), $"""
            tunnel:
              role: transceiver
              name: gpu-1
              certificate: gpu-1.crt
              key: gpu-1.key
              ca: ca.crt
              listen: 127.0.0.1:{port}
              capacity: {config.MaxSessions}
              peers:
                - name: relay-1
            """);
        return $"""
            transceivers:
              name: relay-1
              certificate: {Path.Combine(directory, "relay-1.crt")}
              key: {Path.Combine(directory, "relay-1.key")}
              ca: {Path.Combine(directory, "ca.crt")}
              pool:
                - name: gpu-1
                  address: 127.0.0.1:{port}
            """;
    }
}

/// <summary>The question as Opus frames (20 ms, 48 kHz, encoded once so both paths get the same bytes) and a silence frame.</summary>
internal sealed record SpeechFrames(IReadOnlyList<byte[]> Frames, byte[] Silence, int LastSpeechFrame)
{
    private const double SpeechRms = 327.68; // -40 dBFS, the energy VAD's default threshold

    public static SpeechFrames Encode(string question)
    {
        short[] pcm = PolyphaseResampler.Convert(EspeakNg.Synthesize(question, "en-us+m3", 140, CancellationToken.None), EspeakNg.SampleRate, OpusFrameDecoder.SampleRate);
        var encoder = new OpusFrameEncoder(32_000);
        var packet = new byte[OpusFrameEncoder.MaxPacketBytes];
        var frame = new short[OpusFrameDecoder.FrameSamples];
        var frames = new List<byte[]>();
        int last = -1;
        for (int offset = 0; offset < pcm.Length; offset += frame.Length)
        {
            Array.Clear(frame);
            pcm.AsSpan(offset, Math.Min(frame.Length, pcm.Length - offset)).CopyTo(frame);
            if (Math.Sqrt(frame.Average(s => (double)s * s)) > SpeechRms)
                last = frames.Count;
            frames.Add(packet.AsSpan(0, encoder.Encode(frame, packet)).ToArray());
        }
        if (last < 0)
            throw new InvalidOperationException($"espeak-ng produced no audible speech for '{question}'");
        Array.Clear(frame);
        return new SpeechFrames(frames, packet.AsSpan(0, encoder.Encode(frame, packet)).ToArray(), last);
    }
}

/// <summary>Where a turn's frames go and its reply comes from.</summary>
internal interface IConversationPath
{
    string Name { get; }
    void Send(byte[] opus);
    /// <summary>True when one reply frame arrived within <paramref name="wait"/>.</summary>
    bool TryReceive(TimeSpan wait);
}

/// <summary>Through the relay and the tunnel: SRTP over UDP to the relay, reply frames back the same way.</summary>
internal sealed class NetworkPath(SyntheticCaller caller) : IConversationPath
{
    private readonly byte[] _received = new byte[1500];
    private int _sent;

    public string Name => "network";

    public void Send(byte[] opus)
    {
        caller.SendFrame(opus);
        if (++_sent % 250 == 0)
            caller.SendConsentCheck(); // RFC 7675 consent every 5 s, as a browser does
    }

    public bool TryReceive(TimeSpan wait) => wait > TimeSpan.Zero && caller.TryReceiveFrame(wait, _received, out _, out _);
}

/// <summary>Straight into the pipeline (no relay, tunnel or sockets): the baseline.</summary>
internal sealed class DirectPath : IConversationPath
{
    private readonly VoicePipeline _pipeline;
    private readonly BlockingCollection<AgentFrame> _replies = new();
    private ushort _sequence = 1000;
    private uint _timestamp = 48_000;

    public DirectPath(VoicePipeline pipeline)
    {
        _pipeline = pipeline;
        _ = Task.Run(async () =>
        {
            await foreach (var f in pipeline.Output.ReadAllAsync())
                _replies.Add(f);
        });
    }

    public string Name => "baseline";

    public void Send(byte[] opus)
    {
        _pipeline.WriteAsync(new MediaFrame(_sequence++, _timestamp, opus)).AsTask().GetAwaiter().GetResult();
        _timestamp += OpusFrameDecoder.FrameSamples;
    }

    public bool TryReceive(TimeSpan wait) => wait > TimeSpan.Zero && _replies.TryTake(out _, wait);
}
