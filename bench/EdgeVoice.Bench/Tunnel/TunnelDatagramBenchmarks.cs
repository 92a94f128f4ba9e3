using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using EdgeVoice.Tunnel.Media;

namespace EdgeVoice.Bench.Tunnel;

/// <summary>
/// Throughput and CPU per datagram: 1,000 media frames (160-byte Opus-sized payloads) relay →
/// transceiver over loopback through the tunnel (encrypt, QUIC, ACKs, decrypt, parse) versus the
/// same payloads on a plain UDP socket pair. One thread drives both ends, so time ≈ CPU time;
/// divide by 1,000 for the per-datagram cost. Ratio column = tunnel / plain UDP.
/// </summary>
[MemoryDiagnoser]
public class TunnelDatagramThroughput
{
    private const int Batch = 1000;
    private LoopbackTunnelPair _tunnel = null!;
    private PlainUdpPair _plain = null!;
    private readonly byte[] _payload = new byte[160];
    private readonly byte[] _frame = new byte[2048];
    private uint _sequence;

    [GlobalSetup]
    public void Setup()
    {
        _tunnel = new LoopbackTunnelPair();
        _plain = new PlainUdpPair();
        new Random(1).NextBytes(_payload);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tunnel.Dispose();
        _plain.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int PlainUdp()
    {
        int received = 0;
        for (int i = 0; i < Batch; i++)
        {
            var frame = new MediaFrame(1, MediaDirection.Uplink, _sequence++, 0, 0, _payload);
            int n = frame.WriteTo(_frame);
            _plain.Send(_frame.AsSpan(0, n));
            if ((i & 31) == 31)
                for (int k = 0; k < 32; k++, received++) _plain.Receive(_frame);
        }
        for (; received < Batch; received++) _plain.Receive(_frame);
        return received;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Tunnel()
    {
        int sent = 0, received = 0;
        while (received < Batch)
        {
            while (sent < Batch && _tunnel.Client.TrySendMedia(new MediaFrame(1, MediaDirection.Uplink, _sequence++, 0, 0, _payload)))
                sent++;
            _tunnel.Pump();
            var server = _tunnel.ServerConnection;
            while (server.TryReceiveMedia(_frame, out _)) received++;
        }
        return received;
    }
}

/// <summary>
/// One-way latency of a single media frame on loopback: from handing the frame to the sender until
/// the receiver has it parsed, tunnel versus plain UDP. Each iteration is one datagram, so the
/// P50 and P99 columns are per-datagram percentiles. ACKs and timers are served between iterations.
/// </summary>
[Config(typeof(LatencyConfig))]
[IterationCount(3000), InvocationCount(1, unrollFactor: 1), WarmupCount(200)]
public class TunnelDatagramLatency
{
    private LoopbackTunnelPair _tunnel = null!;
    private PlainUdpPair _plain = null!;
    private readonly byte[] _payload = new byte[160];
    private readonly byte[] _frame = new byte[2048];
    private uint _sequence;

    private sealed class LatencyConfig : ManualConfig
    {
        public LatencyConfig() => AddColumn(StatisticColumn.P50, new PercentileColumn(99));
    }

    [GlobalSetup]
    public void Setup()
    {
        _tunnel = new LoopbackTunnelPair();
        _plain = new PlainUdpPair();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tunnel.Dispose();
        _plain.Dispose();
    }

    [IterationSetup(Target = nameof(Tunnel))]
    public void ServeAcks()
    {
        _tunnel.Pump();
        _tunnel.Pump();
    }

    [Benchmark(Baseline = true)]
    public int PlainUdp()
    {
        var frame = new MediaFrame(1, MediaDirection.Uplink, _sequence++, 0, 0, _payload);
        _plain.Send(_frame.AsSpan(0, frame.WriteTo(_frame)));
        int n = _plain.Receive(_frame);
        return MediaFrame.TryParse(_frame.AsSpan(0, n), out var parsed, out _) ? parsed.Payload.Length : -1;
    }

    [Benchmark]
    public int Tunnel()
    {
        _tunnel.Client.TrySendMedia(new MediaFrame(1, MediaDirection.Uplink, _sequence++, 0, 0, _payload));
        _tunnel.FlushClient();
        var server = _tunnel.ServerConnection;
        int n;
        while (!server.TryReceiveMedia(_frame, out n))
            _tunnel.ReceiveServer(wait: true);
        return MediaFrame.TryParse(_frame.AsSpan(0, n), out var parsed, out _) ? parsed.Payload.Length : -1;
    }
}

/// <summary>A percentile of the per-iteration times (BenchmarkDotNet ships P0…P100 but not P99).</summary>
internal sealed class PercentileColumn(int percentile) : IColumn
{
    public string Id => $"P{percentile}";
    public string ColumnName => $"P{percentile}";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Statistics;
    public int PriorityInCategory => 10;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Time;
    public string Legend => $"{percentile}th percentile of the iteration times";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        return stats is null ? "NA" : $"{stats.Percentiles.Percentile(percentile) / 1000.0:0.00} μs";
    }
}
