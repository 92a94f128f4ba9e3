using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using EdgeVoice.Testing;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

/// <summary><c>edgevoice-transceiver serve</c> as systemd runs it: READY=1 once its tunnel port is bound, no file watched, STOPPING=1 on SIGTERM, exit 0.</summary>
public sealed partial class ServeProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("edgevoice-serve-notify-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task Serve_notifies_ready_and_stopping_and_exits_cleanly_on_sigterm()
    {
        string dir = _temp.FullName;
        var now = DateTimeOffset.UtcNow;
        using (var ca = ClusterPki.CreateCa("test", now.AddDays(-1), now.AddDays(30)))
        using (var node = ClusterPki.IssueNode(ca, new NodeIdentity(NodeRole.Transceiver, "gpu-1"), now.AddDays(-1), now.AddDays(30)))
        {
            PkiFiles.WriteCertificate(Path.Combine(dir, "ca.crt"), ca, overwrite: true);
            PkiFiles.WriteCertificate(Path.Combine(dir, "gpu-1.crt"), node, overwrite: true);
            PkiFiles.WritePrivateKey(Path.Combine(dir, "gpu-1.key"), node, overwrite: true);
        }
        int port;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            port = ((System.Net.IPEndPoint)probe.LocalEndPoint!).Port;
        }
        string config = Path.Combine(dir, "transceiver.yaml");
        await File.WriteAllTextAsync(config, $"limits:\n  max_sessions: 2\ntunnel:\n  role: transceiver\n  name: gpu-1\n  certificate: gpu-1.crt\n  key: gpu-1.key\n  ca: ca.crt\n  listen: 127.0.0.1:{port}\n  capacity: 2\n  peers:\n    - name: relay-1\n");

        string socketPath = Path.Combine(dir, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        // The hosting library turns systemd mode on when the parent process is named "systemd".
        string supervisor = Path.Combine(dir, "systemd");
        File.CreateSymbolicLink(supervisor, "/bin/bash");
        var start = new ProcessStartInfo(supervisor) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("\"$@\" & echo \"pid:$!\" >&2; wait $!");
        start.ArgumentList.Add("supervisor");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgevoice-transceiver"));
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(config);
        start.Environment["NOTIFY_SOCKET"] = socketPath;
        using var shell = Process.Start(start)!;
        var stdout = shell.StandardOutput.ReadToEndAsync();
        string? pidLine = await shell.StandardError.ReadLineAsync();
        Assert.StartsWith("pid:", pidLine);
        int pid = int.Parse(pidLine!["pid:".Length..]);
        var stderr = shell.StandardError.ReadToEndAsync();
        try
        {
            Assert.Contains("READY=1", await ReceiveAsync(notify, TimeSpan.FromSeconds(30)));
            // The host's default appsettings*.json watch would be a recursive inotify watch on the working directory.
            Assert.Equal(0, InotifyWatches.Of(pid));
            Assert.Equal(0, Kill(pid, 15));
            Assert.Contains("STOPPING=1", await ReceiveAsync(notify, TimeSpan.FromSeconds(10)));
            Assert.True(shell.WaitForExit(TimeSpan.FromSeconds(15)), "serve did not exit after SIGTERM");
            Assert.Equal(0, shell.ExitCode);
            string log = await stdout;
            output.WriteLine(log);
            output.WriteLine(await stderr);
            Assert.Contains($"serving tunnel on udp 127.0.0.1:{port} as gpu-1", log);
        }
        finally
        {
            if (!shell.HasExited) shell.Kill(entireProcessTree: true);
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cancel = new CancellationTokenSource(timeout);
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
