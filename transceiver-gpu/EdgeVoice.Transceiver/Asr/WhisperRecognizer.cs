using System.Collections.Concurrent;
using System.Text;
using Whisper.net;
using Whisper.net.LibraryLoader;

namespace EdgeVoice.Transceiver.Asr;

/// <summary>
/// whisper.cpp through Whisper.net with a ggml model file: audio of an utterance is collected and decoded at its end
/// (no partials: Whisper decodes whole windows). Decoding is greedy and capped so a bad model cannot decode forever.
/// </summary>
public sealed class WhisperRecognizer : ISpeechRecognizer
{
    private static readonly ConcurrentDictionary<string, Lazy<WhisperFactory>> Factories = new(StringComparer.Ordinal);
    private readonly WhisperProcessor _processor;
    private readonly List<float> _audio = new();
    private readonly int _maxSamples;

    /// <param name="maxSeconds">Longest utterance kept (Whisper's window is 30 s).</param>
    /// <param name="gpuDevice">CUDA device for whisper.cpp's CUDA runtime (deployed beside Whisper.net); null keeps it on CPU.</param>
    public WhisperRecognizer(string modelPath, string language, int threads, Action<string> log, int maxSeconds = 30, int? gpuDevice = null)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Whisper ggml model not found: {modelPath}", modelPath);
        var factory = Factories.GetOrAdd(modelPath, path => new Lazy<WhisperFactory>(() =>
        {
            var f = WhisperFactory.FromPath(path, new WhisperFactoryOptions { UseGpu = gpuDevice is not null, GpuDevice = gpuDevice ?? 0 });
            log($"whisper: {Path.GetFileName(path)} loaded on the {RuntimeOptions.LoadedLibrary} runtime");
            return f;
        })).Value;
        _processor = factory.CreateBuilder()
            .WithLanguage(language)
            .WithThreads(threads)
            .WithTemperature(0)
            .WithTemperatureInc(0)
            .WithMaxTokensPerSegment(32)
            .WithNoContext()
            .Build();
        _maxSamples = 16_000 * maxSeconds;
    }

    public string Name => "whisper";

    public void StartUtterance() => _audio.Clear();

    public void AcceptAudio(ReadOnlySpan<short> pcm)
    {
        int room = _maxSamples - _audio.Count;
        foreach (short s in pcm[..Math.Min(pcm.Length, Math.Max(0, room))]) _audio.Add(s / 32768f);
    }

    public string? Partial() => null;

    public async Task<string> FinishAsync(CancellationToken cancellationToken)
    {
        if (_audio.Count == 0) return string.Empty;
        var samples = _audio.ToArray();
        _audio.Clear();
        var text = new StringBuilder();
        await foreach (var segment in _processor.ProcessAsync(samples, cancellationToken))
            text.Append(segment.Text);
        return text.ToString().Trim();
    }

    public void Dispose() => _processor.Dispose();
}
