using Microsoft.Playwright;

namespace EdgeVoice.Testing;

/// <summary>Debian's Chromium, headless under Playwright, with a WAV file as its microphone: the browser the tests and the benchmarks call with.</summary>
public static class ChromiumBrowser
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>Launches it with a fake microphone playing <paramref name="microphoneWav"/> (48 kHz mono), plus <paramref name="extraArgs"/>.</summary>
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright, string microphoneWav, params string[] extraArgs) =>
        playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--no-sandbox", // CI runs as root
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                $"--use-file-for-fake-audio-capture={microphoneWav}",
                "--autoplay-policy=no-user-gesture-required",
                // Keeps the ICE pair on 127.0.0.1 when the machine has other interfaces.
                "--webrtc-ip-handling-policy=default_public_interface_only",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-gpu",
                .. extraArgs,
            ],
        });
}
