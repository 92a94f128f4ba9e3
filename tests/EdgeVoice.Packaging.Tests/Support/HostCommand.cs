using System.Diagnostics;
using System.Text;

namespace EdgeVoice.Packaging.Tests.Support;

/// <summary>What a finished command printed and returned.</summary>
internal sealed record CommandResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;

    public override string ToString() => $"$ {Command}\nexit {ExitCode}\n{Stdout}{Stderr}";
}

/// <summary>Runs host tools (dpkg, systemd-analyze, setpriv) with a deadline, capturing their output.</summary>
internal static class HostCommand
{
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null, bool clearEnvironment = false)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        if (clearEnvironment)
            start.Environment.Clear();
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        string shown = file + " " + string.Join(' ', start.ArgumentList);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {shown}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new CommandResult(shown, -1, await stdout, await stderr + $"\n(killed after {timeout.TotalSeconds:0} s)");
        }
        return new CommandResult(shown, process.ExitCode, await stdout, await stderr);
    }

    public static Task<CommandResult> RunAsync(string file, params string[] arguments) =>
        RunAsync(file, arguments, TimeSpan.FromSeconds(60));

    /// <summary>Runs a command that must succeed; a failure shows the command and everything it printed.</summary>
    public static async Task<CommandResult> RunCheckedAsync(string file, params string[] arguments)
    {
        var result = await RunAsync(file, arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>dpkg, retried while another process (an apt-get elsewhere on the machine) holds its lock.</summary>
    public static async Task<CommandResult> DpkgAsync(params string[] arguments)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            var result = await RunAsync("dpkg", arguments, TimeSpan.FromMinutes(3));
            bool locked = result.ExitCode != 0 && result.Stderr.Contains("lock", StringComparison.OrdinalIgnoreCase);
            if (!locked || patience.Elapsed > TimeSpan.FromMinutes(2))
                return result;
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
    }

    public static string Describe(IEnumerable<CommandResult> results)
    {
        var text = new StringBuilder();
        foreach (var result in results)
            text.AppendLine(result.ToString());
        return text.ToString();
    }
}
