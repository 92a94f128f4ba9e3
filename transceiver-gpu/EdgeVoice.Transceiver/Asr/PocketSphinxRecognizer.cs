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
    /// <summary>The decoder's live CMN (<c>cmn_t</c>, owned by the decoder); zero when it runs without CMN.</summary>
    private readonly IntPtr _cmn;
    /// <summary>The live cepstral mean after the last utterance that had words in it (at first the model's <c>-cmninit</c>).</summary>
    private readonly float[] _channelMean;
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
        try { (_cmn, _channelMean) = FindLiveMean(_decoder); }
        catch { Dispose(); throw; }
    }

    public string Name => "pocketsphinx";

    public void StartUtterance()
    {
        if (_inUtterance)
        {
            // An utterance left unfinished gave no transcript: like one with no words, it must not move the channel estimate.
            PocketSphinxInterop.EndUtterance(_decoder);
            RestoreChannelMean();
        }
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
        string text = Hypothesis();
        // Live CMN carries each utterance's cepstral mean into the next; one without words (noise, say a turn cut at the
        // maximum length) would skew the next utterance's features enough that its grammar search ends nowhere.
        if (text.Length == 0) RestoreChannelMean();
        else RememberChannelMean();
        return Task.FromResult(text);
    }

    /// <summary>The live cepstral mean the next utterance starts from (empty without CMN).</summary>
    internal unsafe float[] LiveMean()
    {
        var mean = new float[_channelMean.Length];
        if (_cmn != IntPtr.Zero)
            fixed (float* p = mean) SphinxBaseInterop.GetLiveMean(_cmn, p);
        return mean;
    }

    private unsafe void RememberChannelMean()
    {
        if (_cmn == IntPtr.Zero) return;
        fixed (float* p = _channelMean) SphinxBaseInterop.GetLiveMean(_cmn, p);
    }

    private unsafe void RestoreChannelMean()
    {
        if (_cmn == IntPtr.Zero) return;
        fixed (float* p = _channelMean) SphinxBaseInterop.SetLiveMean(_cmn, p);
    }

    /// <summary>Finds the decoder's live CMN and takes its starting mean; the layout is checked against the cepstrum size.</summary>
    private static unsafe (IntPtr Cmn, float[] Mean) FindLiveMean(PocketSphinxDecoderHandle decoder)
    {
        IntPtr features = PocketSphinxInterop.GetFeatures(decoder);
        if (features == IntPtr.Zero) throw new InvalidOperationException("pocketsphinx ps_get_feat returned no feature extractor");
        var head = *(SphinxFeatureHead*)features;
        if (head.CmnState == IntPtr.Zero) return (IntPtr.Zero, []);
        var cmn = *(SphinxCmnState*)head.CmnState;
        if (head.CepSize is <= 0 or > 64 || cmn.VectorLength != head.CepSize)
            throw new InvalidOperationException($"libsphinxbase's feat_t/cmn_t do not have the layout of Debian's 0.8+5prealpha (cepstrum size {head.CepSize}, CMN vector {cmn.VectorLength}): install Debian's libsphinxbase3");
        var mean = new float[cmn.VectorLength];
        fixed (float* p = mean) SphinxBaseInterop.GetLiveMean(head.CmnState, p);
        return (head.CmnState, mean);
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
