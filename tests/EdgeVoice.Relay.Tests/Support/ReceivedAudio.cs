using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Resampling;
using Microsoft.Playwright;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>
/// What a caller heard, as 16-bit mono PCM on one timeline: read from Chromium (tests/clients/recorder.js records every
/// remote audio track the page receives) or decoded from Opus frames; with the checks the tests make on it.
/// </summary>
public sealed class ReceivedAudio
{
    /// <summary>A 20 ms window louder than this (RMS, -40 dBFS) counts as sound; Opus silence and comfort noise stay far below.</summary>
    public const double SoundRms = 0.01;

    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(20);

    public ReceivedAudio(short[] samples, int sampleRate, double startedAtMs = 0)
    {
        Samples = samples;
        SampleRate = sampleRate;
        StartedAtMs = startedAtMs;
    }

    public short[] Samples { get; }
    public int SampleRate { get; }
    /// <summary>The page's performance.now() at sample 0 (Chromium recordings; 0 otherwise).</summary>
    public double StartedAtMs { get; }
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples.Length / SampleRate);

    /// <summary>Records every remote audio track of the pages this page opens from now on (call before GotoAsync).</summary>
    public static Task InstallRecorderAsync(IPage page) =>
        page.AddInitScriptAsync(scriptPath: Path.Combine(RepoPaths.Clients, "recorder.js"));

    /// <summary>
    /// The page's latest recording from <paramref name="fromSeconds"/> once it holds a sound of at least 0.5 s followed by a
    /// second of silence (a finished reply); fails the test after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<ReceivedAudio> WaitForFinishedSoundAsync(IPage page, TimeSpan timeout, double fromSeconds = 0)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var heard = await ReadAsync(page, fromSeconds: fromSeconds);
            if (heard.SoundSpan() is { } span && heard.Duration - span.End >= TimeSpan.FromSeconds(1) && span.End - span.Start >= TimeSpan.FromSeconds(0.5))
                return heard;
            Assert.True(clock.Elapsed < timeout,
                $"no finished reply in Chromium's recording from {fromSeconds:F1} s after {timeout.TotalSeconds} s ({heard.SoundTime.TotalSeconds:F2} s of sound in {heard.Duration.TotalSeconds:F1} s)");
            await Task.Delay(250);
        }
    }

    /// <summary>Recording <paramref name="index"/> of the page (-1: the latest remote track) so far, from <paramref name="fromSeconds"/> into it.</summary>
    public static async Task<ReceivedAudio> ReadAsync(IPage page, int index = -1, double fromSeconds = 0)
    {
        var info = await page.EvaluateAsync<RecordingInfo>("i => window.edgeVoiceRecorder.info(i)", index);
        fromSeconds = Math.Clamp(fromSeconds, 0, info.Seconds);
        string wav = await page.EvaluateAsync<string>("a => window.edgeVoiceRecorder.wav(a.index, a.fromSeconds)", new { index, fromSeconds });
        if (!WaveFile.TryParse(Convert.FromBase64String(wav), out var samples, out int rate, out string error))
            throw new InvalidDataException($"the page's recording is not a WAV: {error}");
        return new ReceivedAudio(samples, rate, info.StartedAtMs + fromSeconds * 1000);
    }

    public void Save(string path) => WaveFile.Write(path, Samples, SampleRate);

    /// <summary>The loudness of each 20 ms window (RMS, full scale 1).</summary>
    public double[] WindowRms()
    {
        int window = (int)(SampleRate * Window.TotalSeconds);
        var rms = new double[Samples.Length / window];
        for (int w = 0; w < rms.Length; w++)
        {
            double squares = 0;
            foreach (short s in Samples.AsSpan(w * window, window))
                squares += (double)s * s;
            rms[w] = Math.Sqrt(squares / window) / 32768;
        }
        return rms;
    }

    /// <summary>Total time of the windows that hold sound.</summary>
    public TimeSpan SoundTime => Window * WindowRms().Count(r => r > SoundRms);

    /// <summary>The stretch from the first to the last window with sound, or null when all is silent.</summary>
    public (TimeSpan Start, TimeSpan End)? SoundSpan()
    {
        var rms = WindowRms();
        int first = Array.FindIndex(rms, r => r > SoundRms);
        if (first < 0) return null;
        int last = Array.FindLastIndex(rms, r => r > SoundRms);
        return (Window * first, Window * (last + 1));
    }

    /// <summary>Silences of at least <paramref name="minimum"/> between sounds (e.g. the gap a failover left), in order.</summary>
    public IReadOnlyList<(TimeSpan Start, TimeSpan Length)> SilencesBetweenSounds(TimeSpan minimum)
    {
        var rms = WindowRms();
        var silences = new List<(TimeSpan, TimeSpan)>();
        int lastSound = -1;
        for (int w = 0; w < rms.Length; w++)
        {
            if (rms[w] <= SoundRms) continue;
            if (lastSound >= 0 && Window * (w - lastSound - 1) >= minimum)
                silences.Add((Window * (lastSound + 1), Window * (w - lastSound - 1)));
            lastSound = w;
        }
        return silences;
    }

    /// <summary>A part of the timeline.</summary>
    public ReceivedAudio Slice(TimeSpan start, TimeSpan end)
    {
        int from = Math.Clamp((int)(start.TotalSeconds * SampleRate), 0, Samples.Length);
        int to = Math.Clamp((int)(end.TotalSeconds * SampleRate), from, Samples.Length);
        return new ReceivedAudio(Samples[from..to], SampleRate, StartedAtMs + start.TotalMilliseconds);
    }

    /// <summary>
    /// pocketsphinx with a JSGF grammar on the sound in this audio (the stretch with sound, 300 ms either side), resampled
    /// to 16 kHz; "" when there is no sound.
    /// </summary>
    public string Transcribe(string grammarPath)
    {
        if (SoundSpan() is not { } span) return "";
        var pad = TimeSpan.FromMilliseconds(300);
        var speech = Slice(span.Start - pad, span.End + pad);
        using var recognizer = new PocketSphinxRecognizer(grammarPath: grammarPath);
        recognizer.StartUtterance();
        recognizer.AcceptAudio(PolyphaseResampler.Convert(speech.Samples, SampleRate, 16_000));
        return recognizer.FinishAsync(CancellationToken.None).Result;
    }

    private sealed class RecordingInfo
    {
        public int SampleRate { get; set; }
        public double Seconds { get; set; }
        public double StartedAtMs { get; set; }
    }
}
