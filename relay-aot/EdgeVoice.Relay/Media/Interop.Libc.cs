using System.Runtime.InteropServices;

namespace EdgeVoice.Relay.Media;

/// <summary>The few libc calls .NET's Socket lacks: batched UDP receive/send, poll, and an eventfd to wake the loop.</summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int MSG_DONTWAIT = 0x40;
    public const short POLLIN = 0x1;
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

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
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    // The media loop's per-turn calls marshal errno only where it is read (sendmmsg): SetLastError costs a clear and a
    // read of errno around every call.
    [LibraryImport(Library)]
    public static partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int sendmmsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Library)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Library)]
    public static partial int ppoll(PollFd* fds, nuint count, TimeSpec* timeout, void* signalMask);

    /// <summary>
    /// Sleeps for <paramref name="duration"/> unless <paramref name="wake"/> is signalled first (then drains it and returns
    /// true): one system call, like a plain sleep, without the runtime's wait machinery.
    /// </summary>
    public static bool SleepUnless(EventFdHandle wake, TimeSpan duration)
    {
        var timeout = new TimeSpec { Seconds = duration.Ticks / TimeSpan.TicksPerSecond, Nanoseconds = duration.Ticks % TimeSpan.TicksPerSecond * 100 };
        var fd = new PollFd { Fd = wake.Fd, Events = POLLIN };
        if (ppoll(&fd, 1, &timeout, null) <= 0)
            return false;
        wake.Drain();
        return true;
    }

    [LibraryImport(Library, SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport(Library, SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport(Library, SetLastError = true)]
    public static partial int close(int fd);
}

/// <summary>An eventfd owned as a SafeHandle: other threads signal it to wake the media loop out of poll.</summary>
internal sealed unsafe class EventFdHandle : SafeHandle
{
    private EventFdHandle() : base(-1, ownsHandle: true) { }

    public static EventFdHandle Create()
    {
        int fd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (fd < 0)
            throw new InvalidOperationException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        var handle = new EventFdHandle();
        handle.SetHandle(fd);
        return handle;
    }

    public int Fd => (int)handle;

    public override bool IsInvalid => handle == -1;

    public void Signal()
    {
        ulong one = 1;
        Libc.write(Fd, &one, sizeof(ulong));
    }

    public void Drain()
    {
        ulong value;
        Libc.read(Fd, &value, sizeof(ulong));
    }

    protected override bool ReleaseHandle() => Libc.close((int)handle) == 0;
}
