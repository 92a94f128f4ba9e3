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

    public static string[] Words(string text) => WordErrorRate.Words(text);

    public static int WordErrors(string reference, string hypothesis) => WordErrorRate.Errors(reference, hypothesis);
}
