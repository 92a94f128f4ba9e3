using System.Runtime.InteropServices;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>POSIX signals for child processes (Process.Kill only sends SIGKILL).</summary>
internal static partial class ProcessSignals
{
    private const int SigTerm = 15;

    public static bool Terminate(int pid) => Kill(pid, SigTerm) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
