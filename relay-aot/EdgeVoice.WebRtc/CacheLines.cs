using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace EdgeVoice.WebRtc;

/// <summary>
/// Asks the CPU to start loading an object into the cache without waiting for it. The media loop wakes every 20 ms to
/// memory that other processes have pushed out of the cache; prefetching every datagram's call state before handling
/// any lets the loads overlap instead of stalling one after another. A hint only: an object that moves or dies in
/// between costs nothing but the fetch.
/// </summary>
public static unsafe class CacheLines
{
    private const int LineBytes = 64;

    /// <summary>Prefetches the first <paramref name="lines"/> cache lines of <paramref name="value"/> (its header and first fields).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(object? value, int lines = 1)
    {
        if (value is null || !Sse.IsSupported)
            return;
        byte* address = (byte*)Unsafe.As<object, nint>(ref value);
        for (int i = 0; i < lines; i++)
            Sse.Prefetch0(address + i * LineBytes);
    }
}
