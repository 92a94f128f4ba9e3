using Microsoft.ML.OnnxRuntime;

namespace EdgeVoice.Transceiver.Configuration;

/// <summary>
/// Opens ONNX Runtime sessions on the configured device: the CUDA execution provider when asked for and usable,
/// otherwise the CPU provider with one log line saying why. Sessions are shared per model file (Run is thread-safe).
/// </summary>
public sealed class OnnxSessionFactory(DeviceConfig device, Action<string> log)
{
    private readonly Dictionary<string, InferenceSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The provider the last session opened on ("CUDA" or "CPU").</summary>
    public string? LastProvider { get; private set; }

    public InferenceSession Open(string modelPath)
    {
        lock (_gate)
        {
            if (_sessions.TryGetValue(modelPath, out var existing)) return existing;
            var session = Create(modelPath);
            _sessions.Add(modelPath, session);
            return session;
        }
    }

    private InferenceSession Create(string modelPath)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"ONNX model not found: {modelPath}", modelPath);
        if (device.Kind == "cuda")
        {
            if (MissingCudaLibrary() is { } missing)
            {
                // Checked first so the reason is one plain line rather than ORT's provider-bridge error.
                log($"onnx: CUDA execution provider unavailable for {Path.GetFileName(modelPath)} ({missing} not found: the CUDA 13 runtime is not installed); falling back to CPU");
                return OpenOnCpu(modelPath);
            }
            var options = CpuOptions();
            try
            {
                options.AppendExecutionProvider_CUDA(device.Id);
                var session = new InferenceSession(modelPath, options);
                LastProvider = "CUDA";
                log($"onnx: {Path.GetFileName(modelPath)} runs on the CUDA execution provider (device {device.Id})");
                return session;
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
            {
                options.Dispose();
                // Configured for CUDA but the CUDA 13 libraries or the GPU are missing: say so once, then run on CPU.
                log($"onnx: CUDA execution provider unavailable for {Path.GetFileName(modelPath)} ({FirstLine(e.Message)}); falling back to CPU");
            }
        }
        return OpenOnCpu(modelPath);
    }

    private InferenceSession OpenOnCpu(string modelPath)
    {
        var cpu = new InferenceSession(modelPath, CpuOptions());
        LastProvider = "CPU";
        log($"onnx: {Path.GetFileName(modelPath)} runs on the CPU execution provider");
        return cpu;
    }

    /// <summary>The first CUDA 13 library ONNX Runtime 1.31's CUDA provider links against that cannot be loaded, if any.</summary>
    private static string? MissingCudaLibrary()
    {
        foreach (var library in new[] { "libcudart.so.13", "libcublasLt.so.13" })
        {
            if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(library, out var handle)) return library;
            System.Runtime.InteropServices.NativeLibrary.Free(handle);
        }
        return null;
    }

    private static SessionOptions CpuOptions() => new()
    {
        // Small per-session models: one thread each keeps many sessions per core predictable.
        IntraOpNumThreads = 1,
        InterOpNumThreads = 1,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
