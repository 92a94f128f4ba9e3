using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EdgeVoice.Tunnel.Tests;

/// <summary>
/// Two network namespaces joined by a veth pair, both ends shaped with tc netem; created by the
/// test and always removed. Sockets are placed in a namespace by creating them on a thread that
/// has entered it (a socket stays in the namespace it was created in).
/// </summary>
public sealed partial class NetnsPair : IDisposable
{
    private static int _counter;
    public string A { get; }
    public string B { get; }
    public IPAddress AddressA { get; }
    public IPAddress AddressB { get; }

    /// <param name="netem">netem arguments for both ends, or null for a clean link.</param>
    public NetnsPair(string? netem)
    {
        int id = Environment.ProcessId % 10000 * 10 + Interlocked.Increment(ref _counter) % 10;
        A = $"evtA{id}";
        B = $"evtB{id}";
        int subnet = id % 250 + 1;
        AddressA = IPAddress.Parse($"10.231.{subnet}.1");
        AddressB = IPAddress.Parse($"10.231.{subnet}.2");
        try
        {
            Ip($"netns add {A}");
            Ip($"netns add {B}");
            Ip($"link add va{id} netns {A} type veth peer name vb{id} netns {B}");
            Ip($"-n {A} addr add {AddressA}/24 dev va{id}");
            Ip($"-n {B} addr add {AddressB}/24 dev vb{id}");
            Ip($"-n {A} link set va{id} up");
            Ip($"-n {B} link set vb{id} up");
            if (netem is not null)
            {
                Run("tc", $"-n {A} qdisc add dev va{id} root netem {netem}");
                Run("tc", $"-n {B} qdisc add dev vb{id} root netem {netem}");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Whether this process may create network namespaces and shape them with netem; the reason when not.</summary>
    public static bool IsPermitted(bool netem, out string reason)
    {
        string probe = $"evtP{Environment.ProcessId}";
        try
        {
            Ip($"netns add {probe}");
        }
        catch (Exception e)
        {
            reason = $"`ip netns` is not permitted here: {e.Message}";
            return false;
        }
        if (!netem)
        {
            Ip($"netns del {probe}");
            reason = "";
            return true;
        }
        try
        {
            Ip($"-n {probe} link set lo up");
            Run("tc", $"-n {probe} qdisc add dev lo root netem delay 1ms");
            reason = "";
            return true;
        }
        catch (Exception e)
        {
            reason = $"`tc netem` is not available (the kernel has no sch_netem): {e.Message}";
            return false;
        }
        finally
        {
            try { Ip($"netns del {probe}"); } catch (InvalidOperationException) { }
        }
    }

    /// <summary>A UDP socket bound to <paramref name="bind"/> inside namespace <paramref name="ns"/>.</summary>
    public static Socket UdpSocketIn(string ns, IPEndPoint bind)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{ns}", FileMode.Open, FileAccess.Read);
                if (setns((int)handle.DangerousGetHandle(), CLONE_NEWNET) != 0)
                    throw new InvalidOperationException($"setns({ns}) failed: errno {Marshal.GetLastPInvokeError()}");
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(bind);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join(); // the thread (and its namespace) ends here; the socket keeps its namespace
        return socket ?? throw new InvalidOperationException("socket in namespace", failure);
    }

    private const int CLONE_NEWNET = 0x40000000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    private static void Ip(string args) => Run("ip", args);

    private static void Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {args}: exit {p.ExitCode}: {err.Trim()}");
    }

    public void Dispose()
    {
        foreach (string ns in new[] { A, B })
        {
            try { Ip($"netns del {ns}"); } catch (InvalidOperationException) { } // the veth goes with the namespace
        }
    }
}

/// <summary>A fact that is skipped, with the reason, where network namespaces (and, if asked, netem) are unavailable.</summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute(bool netem = true)
    {
        if (!NetnsPair.IsPermitted(netem, out string reason))
            Skip = reason;
    }
}
