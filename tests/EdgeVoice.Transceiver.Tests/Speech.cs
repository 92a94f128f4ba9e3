using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;

namespace EdgeVoice.Transceiver.Tests;

/// <summary>espeak-ng test speech, pocketsphinx transcription and word error rate.</summary>
internal static class Speech
{
    public const string Voice = "en-us+m3";
    public const int Rate = 140;

    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(relative);
    }

    public static string Grammar => RepoFile("configs/transceiver-demo.gram");

    public static readonly string[] Questions =
    [
        "what time is it", "what is the weather today", "how old are you", "can you help me",
        "turn on the lights", "play some music", "what is your name", "where are you from",
        "call my mother", "set an alarm", "what day is it", "open the door",
    ];

    public static short[] Say(string text) => EspeakNg.Synthesize(text, Voice, Rate, CancellationToken.None);

    /// <summary>Transcribes audio at any rate with pocketsphinx (resampled to 16 kHz).</summary>
    public static string Transcribe(short[] pcm, int sampleRate, string? grammar)
    {
        using var recognizer = new PocketSphinxRecognizer(grammarPath: grammar);
        recognizer.StartUtterance();
        recognizer.AcceptAudio(PolyphaseResampler.Convert(pcm, sampleRate, 16_000));
        return recognizer.FinishAsync(CancellationToken.None).Result;
    }

    public static string[] Words(string text) =>
        text.ToLowerInvariant().Split([' ', '.', ',', '?', '!'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Word-level Levenshtein distance.</summary>
    public static int WordErrors(string reference, string hypothesis)
    {
        var r = Words(reference);
        var h = Words(hypothesis);
        var d = new int[r.Length + 1, h.Length + 1];
        for (int i = 0; i <= r.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= h.Length; j++) d[0, j] = j;
        for (int i = 1; i <= r.Length; i++)
            for (int j = 1; j <= h.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1));
        return d[r.Length, h.Length];
    }
}
