using System.Diagnostics;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>The 48 kHz mono 16-bit WAV files Chromium's fake microphone plays (and loops), made with espeak-ng and sox.</summary>
public static class FakeMicrophone
{
    /// <summary>An espeak-ng question (voice en-us+m3, 140 wpm) with silence before and after it.</summary>
    public static async Task<string> QuestionAsync(string directory, string text, double silenceBeforeSeconds, double silenceAfterSeconds)
    {
        string raw = Path.Combine(directory, "question-22k.wav");
        string wav = Path.Combine(directory, "question.wav");
        await RunAsync("espeak-ng", "-v", "en-us+m3", "-s", "140", "-w", raw, text);
        await RunAsync("sox", raw, "-r", "48000", "-c", "1", "-b", "16", wav, "pad",
            silenceBeforeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            silenceAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return wav;
    }

    /// <summary>A silent microphone of <paramref name="seconds"/>.</summary>
    public static async Task<string> SilenceAsync(string directory, int seconds)
    {
        string wav = Path.Combine(directory, "silence.wav");
        await RunAsync("sox", "-n", "-r", "48000", "-c", "1", "-b", "16", wav, "trim", "0", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return wav;
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed: {error}");
    }
}
