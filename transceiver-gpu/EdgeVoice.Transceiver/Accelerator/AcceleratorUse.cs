using System.Diagnostics;
using EdgeVoice.Transceiver.Configuration;

namespace EdgeVoice.Transceiver.Accelerator;

/// <summary>
/// How busy the engines' hardware is, for the load reports the relay places calls by: the GPU's utilisation from
/// NVML when the transceiver runs on CUDA and the driver answers, otherwise this process's CPU use per core.
/// </summary>
public sealed class AcceleratorUse : IDisposable
{
    private readonly NvmlSession? _nvml;
    private readonly IntPtr _device;
    private readonly Lock _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastCpu = Process.GetCurrentProcess().TotalProcessorTime;
    private TimeSpan _lastAt;

    private AcceleratorUse(NvmlSession? nvml, IntPtr device, string source)
    {
        _nvml = nvml;
        _device = device;
        Source = source;
    }

    /// <summary>What <see cref="Permille"/> measures: "gpu N (name)" or "cpu".</summary>
    public string Source { get; }

    /// <summary>Reads the GPU through NVML when <paramref name="device"/> is CUDA and NVML answers; says which with one log line.</summary>
    public static AcceleratorUse Open(DeviceConfig device, Action<string> log)
    {
        if (device.Kind != "cuda") return new AcceleratorUse(null, IntPtr.Zero, "cpu");
        var nvml = NvmlSession.TryOpen(out string? error);
        if (nvml is not null)
        {
            int status = NvmlInterop.DeviceGetHandleByIndex((uint)device.Id, out var handle);
            if (status == NvmlInterop.Success)
            {
                var use = new AcceleratorUse(nvml, handle, $"gpu {device.Id} ({Name(handle)})");
                log($"load reports: utilisation of {use.Source} from NVML");
                return use;
            }
            error = $"nvmlDeviceGetHandleByIndex_v2({device.Id}) returned {status}";
            nvml.Dispose();
        }
        log($"load reports: GPU utilisation unavailable ({error}); reporting CPU use");
        return new AcceleratorUse(null, IntPtr.Zero, "cpu");
    }

    /// <summary>Utilisation in 1/1000: the GPU's over NVML's last sample period, or CPU per core since the last call.</summary>
    public ushort Permille()
    {
        if (_nvml is not null && NvmlInterop.DeviceGetUtilizationRates(_device, out var utilization) == NvmlInterop.Success)
            return (ushort)Math.Min(1000, utilization.Gpu * 10);
        lock (_gate)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var at = _clock.Elapsed;
            double wall = (at - _lastAt).TotalMilliseconds * Environment.ProcessorCount;
            double used = (cpu - _lastCpu).TotalMilliseconds;
            _lastCpu = cpu;
            _lastAt = at;
            return wall <= 0 ? (ushort)0 : (ushort)Math.Clamp(used / wall * 1000, 0, 1000);
        }
    }

    private static unsafe string Name(IntPtr device)
    {
        byte* name = stackalloc byte[96];
        return NvmlInterop.DeviceGetName(device, name, 96) == NvmlInterop.Success
            ? new string((sbyte*)name)
            : "unnamed";
    }

    public void Dispose() => _nvml?.Dispose();
}
