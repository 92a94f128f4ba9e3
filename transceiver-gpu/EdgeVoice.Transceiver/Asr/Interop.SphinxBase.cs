using System.Runtime.InteropServices;

namespace EdgeVoice.Transceiver.Asr;

/// <summary>Debian's libsphinxbase3 (<c>libsphinxbase.so.3</c>): command-line style configuration objects and the live cepstral mean.</summary>
internal static partial class SphinxBaseInterop
{
    public const string Library = "libsphinxbase.so.3";

    [LibraryImport(Library, EntryPoint = "cmd_ln_parse_r")]
    public static unsafe partial IntPtr ParseArguments(IntPtr existing, IntPtr definitions, int argc, IntPtr* argv, int strict);

    [LibraryImport(Library, EntryPoint = "cmd_ln_free_r")]
    public static partial int Free(IntPtr config);

    /// <summary>Copies the live cepstral mean (<c>veclen</c> floats; <c>mfcc_t</c> is float in Debian's build).</summary>
    [LibraryImport(Library, EntryPoint = "cmn_live_get")]
    public static unsafe partial void GetLiveMean(IntPtr cmn, float* mean);

    /// <summary>Replaces the live cepstral mean and restarts its running sum from it.</summary>
    [LibraryImport(Library, EntryPoint = "cmn_live_set")]
    public static unsafe partial void SetLiveMean(IntPtr cmn, float* mean);
}

/// <summary>The head of sphinxbase's public <c>feat_t</c> (<c>sphinxbase/feat.h</c>), up to its <c>cmn_struct</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SphinxFeatureHead
{
    public int RefCount;
    public IntPtr Name;
    public int CepSize;
    public int StreamCount;
    public IntPtr StreamLengths;
    public int WindowSize;
    public int SubvectorCount;
    public IntPtr SubvectorLengths;
    public IntPtr Subvectors;
    public IntPtr SubvectorBuffer;
    public int SubvectorDimension;
    public int Cmn;
    public int VarianceNormalization;
    public int Agc;
    public IntPtr ComputeFeature;
    /// <summary>The <c>cmn_t</c>; null when the decoder runs without CMN.</summary>
    public IntPtr CmnState;
}

/// <summary>sphinxbase's public <c>cmn_t</c> (<c>sphinxbase/cmn.h</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SphinxCmnState
{
    public IntPtr Mean;
    public IntPtr Variance;
    public IntPtr Sum;
    public int FrameCount;
    public int VectorLength;
}

/// <summary>A <c>cmd_ln_t</c>; released with <c>cmd_ln_free_r</c> (reference counted by the library).</summary>
internal sealed class SphinxConfigHandle : SafeHandle
{
    public SphinxConfigHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() { SphinxBaseInterop.Free(handle); return true; }
}
