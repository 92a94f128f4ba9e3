using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeVoice.Transceiver.Tts;

/// <summary>
/// Piper-format VITS voices through ONNX Runtime: espeak-ng IPA phonemes → phoneme ids (from the voice's
/// <c>.onnx.json</c>) → inputs <c>input</c>, <c>input_lengths</c>, <c>scales</c> (and <c>sid</c> for multi-speaker voices) → <c>output</c> audio.
/// </summary>
public sealed class PiperSynthesizer : ISpeechSynthesizer
{
    private readonly InferenceSession _session;
    private readonly PiperVoiceConfig _voice;
    private readonly int _speaker;
    private readonly Action<string> _log;

    public PiperSynthesizer(InferenceSession session, PiperVoiceConfig voice, int speaker, Action<string> log)
    {
        foreach (var name in new[] { "input", "input_lengths", "scales" })
            if (!session.InputMetadata.ContainsKey(name)) throw new InvalidDataException($"not a Piper voice: the ONNX graph has no input '{name}'");
        if (!session.OutputMetadata.ContainsKey("output")) throw new InvalidDataException("not a Piper voice: the ONNX graph has no output 'output'");
        if (voice.NumSpeakers > 1 && !session.InputMetadata.ContainsKey("sid")) throw new InvalidDataException("multi-speaker Piper voice without a 'sid' input");
        if (speaker < 0 || speaker >= Math.Max(1, voice.NumSpeakers)) throw new ArgumentOutOfRangeException(nameof(speaker), $"voice has {voice.NumSpeakers} speakers");
        _session = session;
        _voice = voice;
        _speaker = speaker;
        _log = log;
    }

    public string Name => "piper";
    public int SampleRate => _voice.SampleRate;

    public Task<short[]> SynthesizeAsync(string text, CancellationToken cancellationToken) =>
        Task.Run(() => Synthesize(text, cancellationToken), cancellationToken);

    /// <summary>The phoneme ids the voice is fed for <paramref name="text"/>.</summary>
    public long[] PhonemeIds(string text)
    {
        string phonemes = string.Join(' ', EspeakNg.Phonemize(text, _voice.EspeakVoice));
        var ids = _voice.ToIds(phonemes, out int skipped);
        if (skipped > 0) _log($"piper: {skipped} phonemes of '{text}' are not in the voice's phoneme_id_map");
        return ids;
    }

    private short[] Synthesize(string text, CancellationToken cancellationToken)
    {
        var ids = PhonemeIds(text);
        cancellationToken.ThrowIfCancellationRequested();
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input", new DenseTensor<long>(ids, [1, ids.Length])),
            NamedOnnxValue.CreateFromTensor("input_lengths", new DenseTensor<long>(new long[] { ids.Length }, [1])),
            NamedOnnxValue.CreateFromTensor("scales", new DenseTensor<float>(new[] { _voice.NoiseScale, _voice.LengthScale, _voice.NoiseW }, [3])),
        };
        if (_voice.NumSpeakers > 1) inputs.Add(NamedOnnxValue.CreateFromTensor("sid", new DenseTensor<long>(new long[] { _speaker }, [1])));
        using var results = _session.Run(inputs, ["output"]);
        var audio = results[0].AsTensor<float>();
        // Piper normalizes each utterance to full scale (quiet voices stay audible).
        float peak = 0.01f;
        foreach (float s in audio) peak = Math.Max(peak, Math.Abs(s));
        var pcm = new short[audio.Length];
        int i = 0;
        foreach (float s in audio) pcm[i++] = (short)Math.Clamp(MathF.Round(s * (32767f / peak)), short.MinValue, short.MaxValue);
        return pcm;
    }

    public void Dispose() { }
}
