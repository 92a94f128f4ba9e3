using System.Runtime.InteropServices;

namespace EdgeVoice.Transceiver.Asr;

/// <summary>
/// The embedded default recognizer: CMU pocketsphinx with Debian's en-us model, either with the general
/// language model or a JSGF grammar for a demo domain (much more accurate on synthetic speech).
/// </summary>
public sealed class PocketSphinxRecognizer : ISpeechRecognizer
{
    public const string DefaultModelDirectory = "/usr/share/pocketsphinx/model/en-us";
    private readonly SphinxConfigHandle _config;
    private readonly PocketSphinxDecoderHandle _decoder;
    private readonly IntPtr[] _argv;
    private bool _inUtterance;

    public PocketSphinxRecognizer(string modelDirectory = DefaultModelDirectory, string? grammarPath = null)
    {
        var args = new List<string>
        {
            "-hmm", Path.Combine(modelDirectory, "en-us"),
            "-dict", Path.Combine(modelDirectory, "cmudict-en-us.dict"),
            "-logfn", "/dev/null",
        };
        if (grammarPath is null) args.AddRange(["-lm", Path.Combine(modelDirectory, "en-us.lm.bin")]);
        else args.AddRange(["-jsgf", grammarPath]);
        foreach (var path in new[] { args[1], args[3], args[^1] })
            if (!File.Exists(path) && !Directory.Exists(path))
                throw new FileNotFoundException($"pocketsphinx model file not found: {path} (install Debian's pocketsphinx-en-us)", path);

        // The strings stay allocated for the decoder's lifetime: sphinxbase may keep pointers into argv.
        _argv = args.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        unsafe
        {
            fixed (IntPtr* argv = _argv)
            {
                IntPtr config = SphinxBaseInterop.ParseArguments(IntPtr.Zero, PocketSphinxInterop.Arguments(), _argv.Length, argv, 1);
                if (config == IntPtr.Zero) { FreeArgv(); throw new InvalidOperationException("pocketsphinx rejected its arguments: " + string.Join(' ', args)); }
                _config = new SphinxConfigHandle();
                Marshal.InitHandle(_config, config);
            }
        }
        IntPtr decoder = PocketSphinxInterop.Init(_config);
        if (decoder == IntPtr.Zero) { _config.Dispose(); FreeArgv(); throw new InvalidOperationException("ps_init failed: check the model directory " + modelDirectory + (grammarPath is null ? "" : " and grammar " + grammarPath)); }
        _decoder = new PocketSphinxDecoderHandle();
        Marshal.InitHandle(_decoder, decoder);
        _decoder.SetParent(_config);
    }

    public string Name => "pocketsphinx";

    public void StartUtterance()
    {
        if (_inUtterance) PocketSphinxInterop.EndUtterance(_decoder);
        Check(PocketSphinxInterop.StartUtterance(_decoder), "ps_start_utt");
        _inUtterance = true;
    }

    public unsafe void AcceptAudio(ReadOnlySpan<short> pcm)
    {
        if (!_inUtterance || pcm.IsEmpty) return;
        fixed (short* p = pcm)
            Check(PocketSphinxInterop.ProcessRaw(_decoder, p, (nuint)pcm.Length, 0, 0), "ps_process_raw");
    }

    public string? Partial() => _inUtterance ? Hypothesis() : null;

    public Task<string> FinishAsync(CancellationToken cancellationToken)
    {
        if (!_inUtterance) return Task.FromResult(string.Empty);
        _inUtterance = false;
        Check(PocketSphinxInterop.EndUtterance(_decoder), "ps_end_utt");
        return Task.FromResult(Hypothesis());
    }

    private string Hypothesis() => Marshal.PtrToStringUTF8(PocketSphinxInterop.GetHypothesis(_decoder, out _))?.Trim() ?? string.Empty;

    private static void Check(int status, string what)
    {
        if (status < 0) throw new InvalidOperationException($"pocketsphinx {what} failed ({status})");
    }

    private void FreeArgv()
    {
        foreach (var p in _argv) Marshal.FreeCoTaskMem(p);
    }

    public void Dispose()
    {
        _decoder.Dispose();
        _config.Dispose();
        FreeArgv();
    }
}
