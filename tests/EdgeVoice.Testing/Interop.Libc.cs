using System.Runtime.InteropServices;

namespace EdgeVoice.Testing;

/// <summary>poll(2) over many sockets at once, which .NET's Socket.Poll (one socket) and Socket.Select (allocating lists) lack.</summary>
internal static unsafe partial class Libc
{
    public const short POLLIN = 0x1;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);
}
