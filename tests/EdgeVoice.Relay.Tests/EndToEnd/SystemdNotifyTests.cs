using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Testing;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>
/// The published binary under a systemd-like supervisor: it reports READY=1 on NOTIFY_SOCKET once it serves,
/// STOPPING=1 on SIGTERM, exits 0, and writes journald-style log lines (&lt;priority&gt; prefix). It starts in systemd's
/// working directory, /, watches nothing there, and runs the workstation GC its project asks for.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SystemdNotifyTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("edgevoice-notify-");

    [Fact]
    [Trait("Needs", "edgevoice-relay")]
    public async Task Published_relay_started_in_root_notifies_ready_and_stopping_watches_no_files_runs_no_GC_thread_and_logs_for_journald()
    {
        Assert.True(File.Exists(RepoPaths.PublishedRelay), $"publish the relay first: {RepoPaths.PublishedRelay}");
        string socketPath = Path.Combine(_temp.FullName, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));

        var endpoints = new RelayEndpoints(
            new IPEndPoint(IPAddress.Loopback, FreePort.Tcp()),
            new IPEndPoint(IPAddress.Loopback, FreePort.Udp()),
            "notify-test-key-0123456789abcdef");
        string config = Path.Combine(_temp.FullName, "relay.yaml");
        await File.WriteAllTextAsync(config, EdgeVoiceRelayLaunch.ConfigYaml(endpoints));

        // The hosting library turns systemd mode on when the parent process is named "systemd": a shell started
        // through a link of that name is that parent, starts the relay as its child and reports the child's pid.
        string supervisor = Path.Combine(_temp.FullName, "systemd");
        File.CreateSymbolicLink(supervisor, "/bin/bash");
        var start = new ProcessStartInfo(supervisor)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // systemd's default WorkingDirectory.
            WorkingDirectory = "/",
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("\"$@\" & echo \"pid:$!\" >&2; wait $!");
        start.ArgumentList.Add("supervisor");
        start.ArgumentList.Add(RepoPaths.PublishedRelay);
        foreach (string argument in EdgeVoiceRelayLaunch.Arguments(config, endpoints))
            start.ArgumentList.Add(argument);
        start.Environment["NOTIFY_SOCKET"] = socketPath;
        using var shell = Process.Start(start)!;
        var stdout = shell.StandardOutput.ReadToEndAsync();
        string? pidLine = await shell.StandardError.ReadLineAsync();
        Assert.NotNull(pidLine);
        Assert.StartsWith("pid:", pidLine);
        int relayPid = int.Parse(pidLine["pid:".Length..]);
        var stderr = shell.StandardError.ReadToEndAsync();
        try
        {
            string ready = await ReceiveAsync(notify, TimeSpan.FromSeconds(20));
            Assert.Contains("READY=1", ready);
            using (var http = new HttpClient())
                Assert.Equal("ok", await http.GetStringAsync($"http://{endpoints.Http}/healthz"));
            // The host's default appsettings*.json watch would be a recursive inotify watch on / (one per directory).
            Assert.Equal(0, InotifyWatches.Of(relayPid));
            // Workstation non-concurrent GC (the csproj's choice): no server GC or background GC threads.
            var threads = Directory.GetDirectories($"/proc/{relayPid}/task").Select(task => File.ReadAllText(Path.Combine(task, "comm")).Trim()).ToList();
            Assert.DoesNotContain(threads, name => name.Contains("GC", StringComparison.Ordinal));

            Assert.True(ProcessSignals.Terminate(relayPid), "SIGTERM could not be sent");
            string stopping = await ReceiveAsync(notify, TimeSpan.FromSeconds(10));
            Assert.Contains("STOPPING=1", stopping);
            // The shell exits with the relay's status.
            Assert.True(shell.WaitForExit(TimeSpan.FromSeconds(15)), "relay did not exit after SIGTERM");
            Assert.Equal(0, shell.ExitCode);

            string log = await stdout;
            output.WriteLine(log);
            output.WriteLine(await stderr);
            // Under systemd the console formatter prefixes each entry with its syslog priority for journald.
            Assert.Contains(log.Split('\n'), line => line.StartsWith("<6>", StringComparison.Ordinal) && line.Contains("media on udp"));
            // The Native-AOT binary picks SRTP's AES-GCM by the CPU at run time, not at compile time.
            string gcm = System.Runtime.Intrinsics.X86.Aes.IsSupported && System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported
                && System.Runtime.Intrinsics.X86.Ssse3.IsSupported ? "aes-ni" : "libcrypto";
            Assert.Contains(log.Split('\n'), line => line.Contains("media on udp") && line.Contains($"SRTP AES-GCM on {gcm}"));
        }
        finally
        {
            if (!shell.HasExited)
            {
                ProcessSignals.Terminate(relayPid);
                shell.Kill();
            }
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cancel = new CancellationTokenSource(timeout);
        int length = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    public void Dispose() => _temp.Delete(recursive: true);
}
