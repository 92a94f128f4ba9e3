using System.Runtime.InteropServices;

namespace EdgeVoice.Testing;

/// <summary>
/// The few libc calls an echo load needs that .NET sockets lack: epoll over many sockets without blocking on them,
/// recvmsg with the kernel's receive timestamp (SO_TIMESTAMPNS), and sleeping to an absolute time.
/// </summary>
internal static unsafe partial class Libc
{
    public const int EPOLLIN = 0x1;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SO_TIMESTAMPNS = 35;
    public const int MSG_DONTWAIT = 0x40;
    public const int CLOCK_REALTIME = 0;
    public const int CLOCK_MONOTONIC = 1;
    public const int TIMER_ABSTIME = 1;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;

        public readonly long TotalNanoseconds => Seconds * 1_000_000_000 + Nanoseconds;

        public static TimeSpec FromNanoseconds(long ns) => new() { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* e);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recvmsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc")]
    public static partial int clock_gettime(int clock, TimeSpec* time);

    [LibraryImport("libc")]
    public static partial int clock_nanosleep(int clock, int flags, TimeSpec* request, TimeSpec* remain);

    [LibraryImport("libc")]
    public static partial int close(int fd);

    public static long Now(int clock)
    {
        TimeSpec time;
        clock_gettime(clock, &time);
        return time.TotalNanoseconds;
    }
}
