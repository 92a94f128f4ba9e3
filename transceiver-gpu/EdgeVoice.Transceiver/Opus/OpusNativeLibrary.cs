using System.Reflection;
using System.Runtime.InteropServices;

namespace EdgeVoice.Transceiver.Opus;

/// <summary>
/// Points Concentus' P/Invokes at Debian's runtime libopus (<c>libopus.so.0</c>, package libopus0),
/// so the 19×-faster native codec runs without the <c>libopus-dev</c> symlink.
/// </summary>
internal static class OpusNativeLibrary
{
    private static readonly string[] Candidates = ["libopus.so.0", "libopus.so", "libopus.0.dylib", "opus.dll"];
    private static int _installed;

    public static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        var concentus = typeof(global::Concentus.OpusCodecFactory).Assembly;
        try
        {
            NativeLibrary.SetDllImportResolver(concentus, Resolve);
        }
        catch (InvalidOperationException)
        {
            // Concentus already set its own resolver: fall back to the load-context hook, which runs after it fails.
            System.Runtime.Loader.AssemblyLoadContext.Default.ResolvingUnmanagedDll += (assembly, name) =>
                assembly == concentus ? Resolve(name, assembly, null) : IntPtr.Zero;
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!libraryName.Contains("opus", StringComparison.OrdinalIgnoreCase)) return IntPtr.Zero;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }
}
