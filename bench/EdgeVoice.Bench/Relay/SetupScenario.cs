using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.Json;
using EdgeVoice.Testing;

namespace EdgeVoice.Bench.Relay;

internal sealed record SetupFigures(RelayKind Relay, string Caller, int Calls, int Failed, double SetupP50Ms, double SetupP90Ms,
    double SetupMaxMs, double CpuMs, double CpuMsPerCall, string LoadAverage, double[] SetupMs, string[] Errors);

/// <summary>
/// Scenario 3: sequential call setups, POST → connected on loopback, each call hung up (DELETE) before the next.
/// Relay CPU over all K setups (and their hang-ups) / K.
/// </summary>
internal static class SetupScenario
{
    /// <summary>SyntheticCaller: POST → ICE → DTLS done (SRTP keys known at the caller), then DELETE.</summary>
    public static async Task<SetupFigures> RunSyntheticAsync(RelayChild relay, int calls, int warmupCalls)
    {
        for (int i = 0; i < warmupCalls; i++)
            await OneSyntheticAsync(relay);
        var setups = new List<double>();
        var cpuBefore = relay.Cpu();
        for (int i = 0; i < calls; i++)
            setups.Add(await OneSyntheticAsync(relay));
        await Task.Delay(300); // teardown of the last call
        var delta = relay.Cpu() - cpuBefore;
        return Figures(relay, "synthetic", setups, [], delta);
    }

    private static async Task<double> OneSyntheticAsync(RelayChild relay)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var caller = await SyntheticCaller.ConnectAsync(relay.Client, relay.BaseUri, relay.Key, cancel.Token);
        await caller.HangUpAsync(relay.Client, relay.BaseUri, relay.Key, cancel.Token);
        return caller.SetupTime.TotalMilliseconds;
    }

    /// <summary>tests/clients/aiortc_call.py (python3-aiortc): setup_ms is POST → PeerConnection "connected".</summary>
    public static async Task<SetupFigures> RunAiortcAsync(RelayChild relay, string root, string wav, int calls, double mediaSeconds)
    {
        string script = Path.Combine(root, "tests", "clients", "aiortc_call.py");
        var setups = new List<double>();
        var errors = new List<string>();
        var cpuBefore = relay.Cpu();
        for (int i = 0; i < calls; i++)
        {
            var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { script, relay.BaseUri.ToString().TrimEnd('/'), relay.Key, wav, mediaSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            string line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            try
            {
                using var json = JsonDocument.Parse(line);
                var root0 = json.RootElement;
                if (root0.TryGetProperty("setup_ms", out var ms) && ms.ValueKind == JsonValueKind.Number)
                    setups.Add(ms.GetDouble());
                else
                    errors.Add(root0.TryGetProperty("error", out var e) ? e.ToString() : line);
            }
            catch (JsonException)
            {
                errors.Add($"exit {process.ExitCode}: {line} {(await stderr).Trim().Split('\n').LastOrDefault()}");
            }
        }
        await Task.Delay(300);
        var delta = relay.Cpu() - cpuBefore;
        return Figures(relay, "aiortc", setups, errors, delta);
    }

    /// <summary>
    /// Headless Chromium (tests/clients/call.html and call.js, as the end-to-end tests call): setupMs is the page's POST →
    /// RTCPeerConnection "connected"; each call is hung up (DELETE, close) before the next. The page is a file and the
    /// browser runs without web security, so it can call pion_relay, which answers no CORS preflight, like EdgeVoice.
    /// </summary>
    public static async Task<SetupFigures> RunChromiumAsync(RelayChild relay, string root, string wav, int calls, int warmupCalls)
    {
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await ChromiumBrowser.LaunchAsync(playwright, wav, "--disable-web-security");
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(Path.Combine(root, "tests", "clients", "call.html")).AbsoluteUri);
        await page.WaitForFunctionAsync("() => window.edgeVoice !== undefined");
        var call = new { relayUrl = relay.BaseUri.ToString().TrimEnd('/'), key = relay.Key };
        var setups = new List<double>();
        var errors = new List<string>();
        CpuSample cpuBefore = relay.Cpu();
        for (int i = -warmupCalls; i < calls; i++)
        {
            if (i == 0)
                cpuBefore = relay.Cpu();
            try
            {
                var started = await page.EvaluateAsync<JsonElement>("args => window.edgeVoice.startCall(args)", call);
                var ended = await page.EvaluateAsync<JsonElement>("args => window.edgeVoice.hangUp(args)", new { index = started.GetProperty("index").GetInt32() });
                if (ended.GetProperty("deleteStatus").GetInt32() != 204)
                    throw new InvalidOperationException($"DELETE returned {ended.GetProperty("deleteStatus")}");
                if (i >= 0)
                    setups.Add(started.GetProperty("setupMs").GetDouble());
            }
            catch (Exception e) when (e is Microsoft.Playwright.PlaywrightException or InvalidOperationException)
            {
                if (i >= 0)
                    errors.Add(e.Message.Split('\n')[0]);
            }
        }
        await Task.Delay(300);
        var delta = relay.Cpu() - cpuBefore;
        return Figures(relay, "chromium", setups, errors, delta);
    }

    private static SetupFigures Figures(RelayChild relay, string caller, List<double> setups, List<string> errors, CpuDelta delta)
    {
        var sorted = setups.Order().ToArray();
        int calls = setups.Count + errors.Count;
        return new SetupFigures(relay.Kind, caller, calls, errors.Count, Percentile(sorted, 0.5), Percentile(sorted, 0.9),
            sorted.Length > 0 ? sorted[^1] : double.NaN, delta.Cpu.TotalMilliseconds, delta.Cpu.TotalMilliseconds / Math.Max(1, calls),
            BenchReport.LoadAverage(), setups.Select(s => Math.Round(s, 2)).ToArray(), errors.ToArray());
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>aiortc's microphone: a 440 Hz tone, 48 kHz mono 16-bit PCM.</summary>
    public static string WriteToneWav(string directory, double seconds = 5)
    {
        string path = Path.Combine(directory, "tone-440hz.wav");
        int samples = (int)(seconds * 48000);
        var data = new byte[44 + samples * 2];
        var span = data.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], data.Length - 8);
        "WAVEfmt "u8.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);      // PCM
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1);      // mono
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], 48000);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], 96000);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], samples * 2);
        for (int i = 0; i < samples; i++)
            BinaryPrimitives.WriteInt16LittleEndian(span[(44 + i * 2)..], (short)(0.5 * short.MaxValue * Math.Sin(2 * Math.PI * 440 * i / 48000)));
        File.WriteAllBytes(path, data);
        return path;
    }
}
