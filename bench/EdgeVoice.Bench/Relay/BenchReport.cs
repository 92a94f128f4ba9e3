using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeVoice.Bench.Relay;

/// <summary>One figure measured on both relays in the same run; Ratio = pion / EdgeVoice (above 1: EdgeVoice is lower).</summary>
internal sealed record Figure(string Scenario, string Metric, string Unit, double EdgeVoice, double Pion, string Target, bool? Met)
{
    /// <summary>The same figure from the --before EdgeVoice binary in the same run (NaN when not run).</summary>
    public double Before { get; init; } = double.NaN;

    public double Ratio => EdgeVoice == 0 ? double.NaN : Pion / EdgeVoice;
}

/// <summary>Collects figures and notes, prints them as a table and writes them as JSON.</summary>
internal sealed class BenchReport
{
    private readonly List<Figure> _figures = new();
    private readonly List<string> _notes = new();
    private readonly List<object> _raw = new();

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public void Add(Figure figure) => _figures.Add(figure);

    public void Note(string line)
    {
        _notes.Add(line);
        Console.WriteLine("  " + line);
    }

    public void Raw(object measurement) => _raw.Add(measurement);

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

    public void Print()
    {
        var table = new StringBuilder();
        table.AppendLine();
        bool before = _figures.Any(f => double.IsFinite(f.Before));
        table.AppendLine($"{"scenario",-26} {"metric",-34} {"EdgeVoice",11} {"pion",11} {"pion/EV",8}  {(before ? $"{"EV before",10}  " : "")}target");
        table.AppendLine(new string('-', 120));
        foreach (var f in _figures)
        {
            string met = f.Met switch { true => "  [met]", false => "  [MISSED]", null => "" };
            table.AppendLine($"{f.Scenario,-26} {f.Metric + " (" + f.Unit + ")",-34} {Format(f.EdgeVoice),11} {Format(f.Pion),11} {Format(f.Ratio) + "x",8}  {(before ? $"{Format(f.Before),10}  " : "")}{f.Target}{met}");
        }
        Console.Write(table.ToString());
    }

    public string WriteJson(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"relay-{Started:yyyyMMdd-HHmmss}.json");
        var document = new
        {
            started = Started,
            finished = DateTimeOffset.UtcNow,
            machine = Machine(),
            figures = _figures.Select(f => new
            {
                scenario = f.Scenario, metric = f.Metric, unit = f.Unit,
                edgevoice = Json(f.EdgeVoice), pion = Json(f.Pion), edgevoice_before = Json(f.Before), ratio_pion_over_edgevoice = Json(f.Ratio),
                target = f.Target, met = f.Met,
            }),
            notes = _notes,
            measurements = _raw,
        };
        var options = new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, Converters = { new JsonStringEnumConverter() } };
        File.WriteAllText(path, JsonSerializer.Serialize(document, options));
        return path;
    }

    public static object Machine()
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        return new { cpu, cores = Environment.ProcessorCount, kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), clock_ticks_per_s = ClockTicks.PerSecond,
            cpu_time = CpuCgroup.Available ? "cgroup v2 cpu.stat usage_usec per child" : "utime + stime in clock ticks" };
    }

    private static double? Json(double value) => double.IsFinite(value) ? Math.Round(value, 4) : null;

    public static string Format(double value) => !double.IsFinite(value) ? "-"
        : Math.Abs(value) >= 100 ? value.ToString("F0", CultureInfo.InvariantCulture)
        : Math.Abs(value) >= 10 ? value.ToString("F1", CultureInfo.InvariantCulture)
        : value.ToString("F2", CultureInfo.InvariantCulture);
}
