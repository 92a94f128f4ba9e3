using System.Runtime.InteropServices;

namespace EdgeVoice.Transceiver.Asr;

/// <summary>Debian's libsphinxbase3 (<c>libsphinxbase.so.3</c>): command-line style configuration objects.</summary>
internal static partial class SphinxBaseInterop
{
    public const string Library = "libsphinxbase.so.3";

    [LibraryImport(Library, EntryPoint = "cmd_ln_parse_r")]
    public static unsafe partial IntPtr ParseArguments(IntPtr existing, IntPtr definitions, int argc, IntPtr* argv, int strict);

    [LibraryImport(Library, EntryPoint = "cmd_ln_free_r")]
    public static partial int Free(IntPtr config);
}

/// <summary>A <c>cmd_ln_t</c>; released with <c>cmd_ln_free_r</c> (reference counted by the library).</summary>
internal sealed class SphinxConfigHandle : SafeHandle
{
    public SphinxConfigHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { SphinxBaseInterop.Free(handle); return true; }
}
