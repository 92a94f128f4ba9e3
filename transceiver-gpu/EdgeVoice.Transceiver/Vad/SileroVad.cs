using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeVoice.Transceiver.Vad;

/// <summary>
/// Silero VAD v5 through ONNX Runtime: 512-sample chunks at 16 kHz, each run with the previous 64 samples as
/// context and the recurrent state carried between chunks (inputs <c>input</c>, <c>state</c>, <c>sr</c>; outputs <c>output</c>, <c>stateN</c>).
/// </summary>
public sealed class SileroVad : IVoiceActivityDetector
{
    private const int Chunk = 512;
    private const int Context = 64;
    private readonly InferenceSession _session;
    private readonly DenseTensor<float> _input = new([1, Context + Chunk]);
    private DenseTensor<float> _state = new([2, 1, 128]);
    private readonly DenseTensor<long> _rate = new(new long[] { 16_000 }, ReadOnlySpan<int>.Empty);

    /// <param name="session">A shared session for silero_vad.onnx (see <see cref="Configuration.OnnxSessionFactory"/>).</param>
    public SileroVad(InferenceSession session)
    {
        _session = session;
        foreach (var name in new[] { "input", "state", "sr" })
            if (!session.InputMetadata.ContainsKey(name)) throw new InvalidDataException($"not a Silero VAD v5 model: no input '{name}'");
    }

    public int ChunkSamples => Chunk;

    public float SpeechProbability(ReadOnlySpan<float> chunk)
    {
        if (chunk.Length != Chunk) throw new ArgumentException($"Silero VAD takes {Chunk} samples at 16 kHz", nameof(chunk));
        var buffer = _input.Buffer.Span;
        // Slide the context: the last 64 samples of the previous chunk come first.
        buffer.Slice(Chunk, Context).CopyTo(buffer);
        chunk.CopyTo(buffer[Context..]);
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input", _input),
            NamedOnnxValue.CreateFromTensor("state", _state),
            NamedOnnxValue.CreateFromTensor("sr", _rate),
        };
        using var results = _session.Run(inputs);
        float probability = 0;
        foreach (var result in results)
        {
            if (result.Name == "output") probability = result.AsTensor<float>().GetValue(0);
            else if (result.Name == "stateN") _state = CopyState(result.AsTensor<float>());
        }
        return probability;
    }

    private static DenseTensor<float> CopyState(Tensor<float> state)
    {
        var copy = new DenseTensor<float>([2, 1, 128]);
        int i = 0;
        foreach (float v in state) copy.Buffer.Span[i++] = v;
        return copy;
    }

    public void Reset()
    {
        _state = new DenseTensor<float>([2, 1, 128]);
        _input.Buffer.Span.Clear();
    }

    public void Dispose() { }
}
