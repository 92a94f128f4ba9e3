using Microsoft.ML.OnnxRuntime;

namespace EdgeVoice.Transceiver.Vad;

/// <summary>
/// Silero VAD v5 through ONNX Runtime: 512-sample chunks at 16 kHz, each run with the previous 64 samples as
/// context and the recurrent state carried between chunks (inputs <c>input</c>, <c>state</c>, <c>sr</c>; outputs <c>output</c>, <c>stateN</c>).
/// Inputs and outputs are bound once to pinned buffers, so a chunk costs a copy and a run, no managed allocation.
/// On the CUDA provider ONNX Runtime copies a bound CPU input to the GPU when it is bound, not at each run, so
/// there the two changing inputs are bound again for every chunk (measured on an H100: bound once, every
/// probability came out near 0).
/// </summary>
public sealed class SileroVad : IVoiceActivityDetector
{
    private const int Chunk = 512;
    private const int Context = 64;
    private const int StateSize = 2 * 1 * 128;
    private readonly InferenceSession _session;
    private readonly float[] _window = new float[Context + Chunk];
    private readonly float[] _stateIn = new float[StateSize];
    private readonly float[] _stateOut = new float[StateSize];
    private readonly float[] _probability = new float[1];
    private readonly long[] _rate = [16_000];
    private readonly OrtValue[] _values;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly bool _onDevice;

    /// <param name="session">A shared session for silero_vad.onnx (see <see cref="Configuration.OnnxSessionFactory"/>).</param>
    /// <param name="onDevice">The session runs on a GPU provider: inputs are bound again before each run.</param>
    public SileroVad(InferenceSession session, bool onDevice = false)
    {
        foreach (var name in new[] { "input", "state", "sr" })
            if (!session.InputMetadata.ContainsKey(name)) throw new InvalidDataException($"not a Silero VAD v5 model: no input '{name}'");
        foreach (var name in new[] { "output", "stateN" })
            if (!session.OutputMetadata.ContainsKey(name)) throw new InvalidDataException($"not a Silero VAD v5 model: no output '{name}'");
        _session = session;
        _onDevice = onDevice;
        _values =
        [
            OrtValue.CreateTensorValueFromMemory(_window, [1, Context + Chunk]),
            OrtValue.CreateTensorValueFromMemory(_stateIn, [2, 1, 128]),
            OrtValue.CreateTensorValueFromMemory(_rate, []),
            OrtValue.CreateTensorValueFromMemory(_probability, [1, 1]),
            OrtValue.CreateTensorValueFromMemory(_stateOut, [2, 1, 128]),
        ];
        _binding = session.CreateIoBinding();
        _binding.BindInput("input", _values[0]);
        _binding.BindInput("state", _values[1]);
        _binding.BindInput("sr", _values[2]);
        _binding.BindOutput("output", _values[3]);
        _binding.BindOutput("stateN", _values[4]);
    }

    public int ChunkSamples => Chunk;

    public float SpeechProbability(ReadOnlySpan<float> chunk)
    {
        if (chunk.Length != Chunk) throw new ArgumentException($"Silero VAD takes {Chunk} samples at 16 kHz", nameof(chunk));
        // Slide the context: the last 64 samples of the previous chunk come first.
        _window.AsSpan(Chunk, Context).CopyTo(_window);
        chunk.CopyTo(_window.AsSpan(Context));
        if (_onDevice)
        {
            _binding.BindInput("input", _values[0]);
            _binding.BindInput("state", _values[1]);
        }
        _session.RunWithBinding(_runOptions, _binding);
        if (_onDevice) _binding.SynchronizeBoundOutputs();
        _stateOut.CopyTo(_stateIn, 0);
        return _probability[0];
    }

    public void Reset()
    {
        Array.Clear(_stateIn);
        Array.Clear(_window);
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var value in _values) value.Dispose();
        _runOptions.Dispose();
    }
}
