using System.Globalization;
using System.Text;
using EdgeVoice.Testing;
using EdgeVoice.Tunnel.Metrics;

namespace EdgeVoice.Tunnel.Tests;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Counter_and_gauge_families_have_help_type_and_samples()
    {
        var text = new PrometheusText()
            .Family("edgevoice_packets_total", MetricType.Counter, "Packets seen.")
            .Sample(42L, new MetricLabel("direction", "in"))
            .Sample(7L, new MetricLabel("direction", "out"))
            .Family("edgevoice_sessions", MetricType.Gauge, "Live sessions.")
            .Sample(3L)
            .ToString();
        Assert.Equal("""
            # HELP edgevoice_packets_total Packets seen.
            # TYPE edgevoice_packets_total counter
            edgevoice_packets_total{direction="in"} 42
            edgevoice_packets_total{direction="out"} 7
            # HELP edgevoice_sessions Live sessions.
            # TYPE edgevoice_sessions gauge
            edgevoice_sessions 3

            """.ReplaceLineEndings("\n"), text);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\"quote", "a\\\"quote")]
    [InlineData(@"back\slash", @"back\\slash")]
    [InlineData("two\nlines", @"two\nlines")]
    [InlineData("ünïcödé ☎", "ünïcödé ☎")]
    public void Label_values_escape_backslash_quote_and_newline(string value, string written)
    {
        string text = new PrometheusText().Family("m", MetricType.Gauge, "h").Sample(1L, new MetricLabel("l", value)).ToString();
        Assert.Contains($"m{{l=\"{written}\"}} 1\n", text);
    }

    [Fact]
    public void Help_escapes_backslash_and_newline_but_not_quotes()
    {
        string text = new PrometheusText().Family("m", MetricType.Gauge, "say \"hi\"\\\nnext").ToString();
        Assert.StartsWith("# HELP m say \"hi\"\\\\\\nnext\n", text);
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.25, "0.25")]
    [InlineData(1.0, "1")]
    [InlineData(-3.5, "-3.5")]
    public void Values_use_prometheus_spellings(double value, string written) =>
        Assert.Equal(written, PrometheusText.FormatValue(value));

    [Fact]
    public void Values_ignore_the_current_culture()
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            // A culture with a decimal comma (the test host runs in invariant-globalization mode, so build one).
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            comma.NumberFormat.NumberDecimalSeparator = ",";
            CultureInfo.CurrentCulture = comma;
            Assert.Equal("0,5", 0.5.ToString());
            Assert.Equal("0.5", PrometheusText.FormatValue(0.5));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Histogram_buckets_are_cumulative_and_end_in_inf_equal_to_count()
    {
        var histogram = new Histogram([0.1, 0.5, 1]);
        foreach (double v in new[] { 0.05, 0.1, 0.3, 0.7, 0.9, 4.0 })
            histogram.Observe(v);
        string text = new PrometheusText().Family("stage_seconds", MetricType.Histogram, "Stage time.")
            .Histogram(histogram.Snapshot(), new MetricLabel("stage", "asr")).ToString();
        Assert.Equal("""
            # HELP stage_seconds Stage time.
            # TYPE stage_seconds histogram
            stage_seconds_bucket{stage="asr",le="0.1"} 2
            stage_seconds_bucket{stage="asr",le="0.5"} 3
            stage_seconds_bucket{stage="asr",le="1"} 5
            stage_seconds_bucket{stage="asr",le="+Inf"} 6
            stage_seconds_sum{stage="asr"} 6.05
            stage_seconds_count{stage="asr"} 6

            """.ReplaceLineEndings("\n"), text);
    }

    [Fact]
    public void Histogram_counts_every_observation_from_many_threads()
    {
        var histogram = new Histogram(Histogram.LatencySeconds);
        Parallel.For(0, 8, worker =>
        {
            for (int i = 0; i < 10_000; i++)
                histogram.Observe(0.001 * (i % 50));
        });
        var snapshot = histogram.Snapshot();
        Assert.Equal(80_000, snapshot.Count);
        // Sum of 0.001 * (0..49) is 1.225, 200 times per worker.
        Assert.Equal(8 * 200 * 1.225, snapshot.Sum, 6);
    }

    [Theory]
    [InlineData("1starts_with_digit")]
    [InlineData("has-dash")]
    [InlineData("")]
    [InlineData("space name")]
    public void Bad_metric_names_throw(string name) =>
        Assert.Throws<ArgumentException>(() => new PrometheusText().Family(name, MetricType.Gauge, "h"));

    [Fact]
    public void Misused_families_throw()
    {
        Assert.Throws<ArgumentException>(() => new PrometheusText().Family("requests", MetricType.Counter, "no _total"));
        Assert.Throws<ArgumentException>(() => new PrometheusText().Family("x", MetricType.Gauge, "h").Family("x", MetricType.Gauge, "h"));
        Assert.Throws<ArgumentException>(() => new PrometheusText().Family("x", MetricType.Gauge, "h").Sample(1L, new MetricLabel("__reserved", "v")));
        Assert.Throws<ArgumentException>(() => new PrometheusText().Family("x", MetricType.Gauge, "h").Sample(1L, new MetricLabel("a", "1"), new MetricLabel("a", "2")));
        Assert.Throws<ArgumentException>(() => new PrometheusText().Family("x", MetricType.Histogram, "h").Histogram(new Histogram([1]).Snapshot(), new MetricLabel("le", "1")));
        Assert.Throws<InvalidOperationException>(() => new PrometheusText().Sample(1L));
        Assert.Throws<InvalidOperationException>(() => new PrometheusText().Family("x", MetricType.Histogram, "h").Sample(1L));
        Assert.Throws<ArgumentException>(() => new Histogram([1, 1]));
        Assert.Throws<ArgumentException>(() => new Histogram([double.PositiveInfinity]));
    }

    /// <summary>Random label values (quotes, backslashes, newlines, any UTF-16) written and parsed back come out the same.</summary>
    [Fact]
    public void Random_label_values_and_values_parse_back_unchanged()
    {
        var random = new Random(6);
        const string alphabet = "ab\\\"\n{}=, #é☎\t";
        for (int round = 0; round < 2000; round++)
        {
            var expected = new List<(string Value, double Number)>();
            var text = new PrometheusText().Family("edgevoice_round_" + round, MetricType.Gauge, RandomText(random, alphabet));
            for (int i = 0; i < 3; i++)
            {
                string value = RandomText(random, alphabet);
                double number = random.Next(4) switch { 0 => random.NextDouble() * 1e9, 1 => -random.NextDouble(), 2 => double.PositiveInfinity, _ => random.Next() };
                text.Sample(number, new MetricLabel("key", value), new MetricLabel("n", i.ToString(CultureInfo.InvariantCulture)));
                expected.Add((value, number));
            }
            var samples = ExpositionParser.Parse(text.ToString());
            Assert.Equal(3, samples.Count);
            for (int i = 0; i < 3; i++)
            {
                Assert.Equal("edgevoice_round_" + round, samples[i].Name);
                Assert.Equal(expected[i].Value, samples[i].Labels["key"]);
                Assert.Equal(expected[i].Number, samples[i].Value);
            }
        }
    }

    [Fact]
    public void Histogram_parses_back_with_monotonic_buckets()
    {
        var random = new Random(7);
        var histogram = new Histogram(Histogram.LatencySeconds);
        for (int i = 0; i < 3000; i++)
            histogram.Observe(random.NextDouble() * 12);
        var samples = ExpositionParser.Parse(new PrometheusText().Family("lat_seconds", MetricType.Histogram, "h")
            .Histogram(histogram.Snapshot(), new MetricLabel("stage", "tts")).ToString());
        var buckets = samples.Where(s => s.Name == "lat_seconds_bucket").ToList();
        Assert.Equal(Histogram.LatencySeconds.Length + 1, buckets.Count);
        for (int i = 1; i < buckets.Count; i++)
            Assert.True(buckets[i].Value >= buckets[i - 1].Value);
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
        Assert.Equal(3000, buckets[^1].Value);
        Assert.Equal(3000, samples.Single(s => s.Name == "lat_seconds_count").Value);
        Assert.All(buckets, b => Assert.Equal("tts", b.Labels["stage"]));
    }

    private static string RandomText(Random random, string alphabet)
    {
        var text = new StringBuilder();
        int length = random.Next(0, 12);
        for (int i = 0; i < length; i++)
            text.Append(random.Next(5) == 0 ? (char)random.Next(0x20, 0xD7FF) : alphabet[random.Next(alphabet.Length)]);
        return text.ToString();
    }
}

public sealed class ExpositionParserTests
{
    /// <summary>The reader the format tests rely on must itself fail on what Prometheus would reject.</summary>
    [Theory]
    [InlineData("m 1\n")]
    [InlineData("# TYPE m gauge\nm{l=\"x} 1\n")]
    [InlineData("# TYPE m gauge\nm{l=\"\\t\"} 1\n")]
    [InlineData("# TYPE m gauge\n# TYPE m gauge\nm 1\n")]
    [InlineData("# TYPE m gauge\nm 1")]
    [InlineData("# TYPE m gauge\nm{1l=\"x\"} 1\n")]
    public void Rejects_malformed_exposition(string text) =>
        Assert.Throws<FormatException>(() => ExpositionParser.Parse(text));
}
