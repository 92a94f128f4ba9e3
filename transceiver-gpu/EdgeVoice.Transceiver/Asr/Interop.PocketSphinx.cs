using System.Runtime.InteropServices;

namespace EdgeVoice.Transceiver.Asr;

/// <summary>Debian's libpocketsphinx3 (<c>libpocketsphinx.so.3</c>, 5prealpha API).</summary>
internal static partial class PocketSphinxInterop
{
    public const string Library = "libpocketsphinx.so.3";

    [LibraryImport(Library, EntryPoint = "ps_args")]
    public static partial IntPtr Arguments();

    [LibraryImport(Library, EntryPoint = "ps_init")]
    public static partial IntPtr Init(SphinxConfigHandle config);

    [LibraryImport(Library, EntryPoint = "ps_free")]
    public static partial int Free(IntPtr decoder);

    [LibraryImport(Library, EntryPoint = "ps_start_utt")]
    public static partial int StartUtterance(PocketSphinxDecoderHandle decoder);

    [LibraryImport(Library, EntryPoint = "ps_process_raw")]
    public static unsafe partial int ProcessRaw(PocketSphinxDecoderHandle decoder, short* data, nuint samples, int noSearch, int fullUtterance);

    [LibraryImport(Library, EntryPoint = "ps_end_utt")]
    public static partial int EndUtterance(PocketSphinxDecoderHandle decoder);

    [LibraryImport(Library, EntryPoint = "ps_get_hyp")]
    public static partial IntPtr GetHypothesis(PocketSphinxDecoderHandle decoder, out int bestScore);

    /// <summary>The decoder's <c>feat_t</c> (owned by the decoder, valid while it lives).</summary>
    [LibraryImport(Library, EntryPoint = "ps_get_feat")]
    public static partial IntPtr GetFeatures(PocketSphinxDecoderHandle decoder);
}

/// <summary>A <c>ps_decoder_t</c>; holds a reference on its configuration while alive.</summary>
internal sealed class PocketSphinxDecoderHandle : SafeHandle
{
    private SphinxConfigHandle? _config;

    public PocketSphinxDecoderHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;

    internal void SetParent(SphinxConfigHandle config)
    {
        bool added = false;
        config.DangerousAddRef(ref added);
        _config = config;
    }

    protected override bool ReleaseHandle()
    {
        PocketSphinxInterop.Free(handle);
        _config?.DangerousRelease();
        return true;
    }
}
