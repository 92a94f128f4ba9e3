using System.Diagnostics;
using System.Text.Json;
using EdgeVoice.Relay.Tests.Support;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>
/// aiortc 1.4.0 (Debian's python3-aiortc) calls the relay: a second, independent WebRTC stack
/// with full ICE and only SRTP_AES128_CM_SHA1_80, run by tests/clients/aiortc_call.py.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class AiortcCallTests(ITestOutputHelper output) : IDisposable
{
    // Debian's aiortc is importable only by the system interpreter, not by a python3 earlier on PATH.
    private const string Python = "/usr/bin/python3";
    private const double ToneHz = 660;
    private const double CallSeconds = 3;

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("edgevoice-aiortc-");

    [Fact]
    public async Task Aiortc_call_connects_hears_its_own_tone_back_and_hangs_up()
    {
        await using var relay = await RelayProcess.StartAsync(output);
        var wav = ToneWav.Write(_temp.FullName, ToneHz);

        var (exitCode, stdout, stderr) = await RunAsync(
            Path.Combine(RepoPaths.Clients, "aiortc_call.py"),
            relay.BaseUri.ToString().TrimEnd('/'), relay.Key, wav, CallSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
        output.WriteLine($"aiortc_call.py exit {exitCode}\nstdout: {stdout}\nstderr: {stderr}");

        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        using var json = JsonDocument.Parse(lines[^1]);
        var result = json.RootElement;
        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
        Assert.True(result.GetProperty("connected").GetBoolean());
        Assert.Equal(201, result.GetProperty("post_status").GetInt32());
        var setupMs = result.GetProperty("setup_ms").GetDouble();
        Assert.InRange(setupMs, 0.1, 5000);
        // 3 s of 20 ms frames is 150; allow for the first ones spent on ICE and DTLS.
        Assert.True(result.GetProperty("frames_received").GetInt32() > 100, $"too few frames: {result}");
        Assert.True(result.GetProperty("rms").GetDouble() > 0.1, $"echoed audio is not above silence: {result}");
        Assert.InRange(result.GetProperty("dominant_hz").GetDouble(), ToneHz - 10, ToneHz + 10);
        Assert.Equal(204, result.GetProperty("delete_status").GetInt32());
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task Aiortc_call_with_a_wrong_key_is_refused_and_the_client_says_so()
    {
        await using var relay = await RelayProcess.StartAsync(output);
        var wav = ToneWav.Write(_temp.FullName, ToneHz, seconds: 1);

        var (exitCode, stdout, _) = await RunAsync(
            Path.Combine(RepoPaths.Clients, "aiortc_call.py"), relay.BaseUri.ToString().TrimEnd('/'), "not-the-key", wav, "1");

        using var json = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(401, json.RootElement.GetProperty("post_status").GetInt32());
        Assert.False(json.RootElement.GetProperty("connected").GetBoolean());
        Assert.NotEqual(0, exitCode);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"aiortc_call.py ran past 60 s.\nstdout: {await stdout}\nstderr: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public void Dispose() => _temp.Delete(recursive: true);
}
