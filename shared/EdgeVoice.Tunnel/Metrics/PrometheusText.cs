using System.Globalization;
using System.Text;

namespace EdgeVoice.Tunnel.Metrics;

public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One label of a sample; the value may hold any text (it is escaped on output).</summary>
public readonly record struct MetricLabel(string Name, string Value);

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4: each family's <c># HELP</c> and <c># TYPE</c> once, then its
/// samples. Names are checked (a bad name is a programming error and throws); label values and help text are escaped.
/// Reflection-free, so the Native-AOT relay and the transceiver share it.
/// </summary>
public sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);
    private string? _family;
    private MetricType _type;

    /// <summary>Starts a family; its samples follow. Counter names end in <c>_total</c>, as Prometheus expects.</summary>
    public PrometheusText Family(string name, MetricType type, string help)
    {
        if (!IsMetricName(name))
            throw new ArgumentException($"'{name}' is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", nameof(name));
        if (type == MetricType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
            throw new ArgumentException($"counter '{name}' must end in _total", nameof(name));
        if (type == MetricType.Histogram && (name.EndsWith("_bucket", StringComparison.Ordinal) || name.EndsWith("_count", StringComparison.Ordinal) || name.EndsWith("_sum", StringComparison.Ordinal)))
            throw new ArgumentException($"histogram '{name}' must not end in _bucket, _count or _sum (those are its series)", nameof(name));
        if (!_families.Add(name))
            throw new ArgumentException($"family '{name}' was already written; a family's samples must be together", nameof(name));
        _family = name;
        _type = type;
        _text.Append("# HELP ").Append(name).Append(' ');
        AppendEscaped(help, quotes: false);
        _text.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            _ => "histogram",
        }).Append('\n');
        return this;
    }

    /// <summary>A counter or gauge sample of the current family.</summary>
    public PrometheusText Sample(long value, params ReadOnlySpan<MetricLabel> labels)
    {
        StartSample(labels);
        _text.Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return this;
    }

    /// <summary>A counter or gauge sample of the current family.</summary>
    public PrometheusText Sample(double value, params ReadOnlySpan<MetricLabel> labels)
    {
        StartSample(labels);
        _text.Append(FormatValue(value)).Append('\n');
        return this;
    }

    /// <summary>A histogram's series for one label set: cumulative <c>_bucket{le=..}</c> ending in <c>+Inf</c>, <c>_sum</c>, <c>_count</c>.</summary>
    public PrometheusText Histogram(HistogramSnapshot snapshot, params ReadOnlySpan<MetricLabel> labels)
    {
        string family = _family ?? throw new InvalidOperationException("call Family before Histogram");
        if (_type != MetricType.Histogram)
            throw new InvalidOperationException($"family '{family}' is a {_type}, not a histogram");
        CheckLabels(labels, histogram: true);
        long cumulative = 0;
        for (int i = 0; i < snapshot.UpperBounds.Count; i++)
        {
            cumulative += snapshot.BucketCounts[i];
            AppendSeries(family, "_bucket", labels, FormatValue(snapshot.UpperBounds[i]));
            _text.Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        AppendSeries(family, "_bucket", labels, "+Inf");
        _text.Append(snapshot.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        AppendSeries(family, "_sum", labels, null);
        _text.Append(FormatValue(snapshot.Sum)).Append('\n');
        AppendSeries(family, "_count", labels, null);
        _text.Append(snapshot.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return this;
    }

    public override string ToString() => _text.ToString();

    /// <summary>A sample value as Prometheus writes it: shortest round-trip decimal, <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public static bool IsMetricName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] is '_' or ':'))
            return false;
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or ':'))
                return false;
        return true;
    }

    /// <summary>A label name: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>, not starting with the reserved <c>__</c>.</summary>
    public static bool IsLabelName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || name.StartsWith("__", StringComparison.Ordinal))
            return false;
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                return false;
        return true;
    }

    private void StartSample(ReadOnlySpan<MetricLabel> labels)
    {
        string family = _family ?? throw new InvalidOperationException("call Family before Sample");
        if (_type == MetricType.Histogram)
            throw new InvalidOperationException($"family '{family}' is a histogram: write it with Histogram");
        CheckLabels(labels, histogram: false);
        AppendSeries(family, "", labels, null);
    }

    private static void CheckLabels(ReadOnlySpan<MetricLabel> labels, bool histogram)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if (!IsLabelName(labels[i].Name))
                throw new ArgumentException($"'{labels[i].Name}' is not a Prometheus label name", nameof(labels));
            if (histogram && labels[i].Name == "le")
                throw new ArgumentException("a histogram's own labels cannot include 'le'", nameof(labels));
            for (int j = 0; j < i; j++)
                if (labels[j].Name == labels[i].Name)
                    throw new ArgumentException($"label '{labels[i].Name}' is given twice", nameof(labels));
        }
    }

    private void AppendSeries(string family, string suffix, ReadOnlySpan<MetricLabel> labels, string? le)
    {
        _text.Append(family).Append(suffix);
        if (labels.Length > 0 || le is not null)
        {
            _text.Append('{');
            for (int i = 0; i < labels.Length; i++)
            {
                if (i > 0) _text.Append(',');
                _text.Append(labels[i].Name).Append("=\"");
                AppendEscaped(labels[i].Value, quotes: true);
                _text.Append('"');
            }
            if (le is not null)
                _text.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
            _text.Append('}');
        }
        _text.Append(' ');
    }

    /// <summary>Backslash and line feed are escaped in help text; label values also escape the double quote.</summary>
    private void AppendEscaped(string text, bool quotes)
    {
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\': _text.Append(@"\\"); break;
                case '\n': _text.Append(@"\n"); break;
                case '"' when quotes: _text.Append("\\\""); break;
                default: _text.Append(c); break;
            }
        }
    }
}
