using System.Runtime.InteropServices;

namespace EdgeVoice.Transceiver.Accelerator;

/// <summary>NVIDIA's management library (<c>libnvidia-ml.so.1</c>, installed with the driver; API of nvml.h).</summary>
internal static partial class NvmlInterop
{
    public const string Library = "libnvidia-ml.so.1";
    public const int Success = 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct Utilization
    {
        /// <summary>Percent of the last sample period (1/6 s to 1 s) in which a kernel ran on the GPU.</summary>
        public uint Gpu;
        public uint Memory;
    }

    [LibraryImport(Library, EntryPoint = "nvmlInit_v2")]
    public static partial int Init();

    [LibraryImport(Library, EntryPoint = "nvmlShutdown")]
    public static partial int Shutdown();

    /// <summary>The device handle is owned by NVML and valid until <see cref="Shutdown"/>.</summary>
    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")]
    public static partial int DeviceGetHandleByIndex(uint index, out IntPtr device);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetUtilizationRates")]
    public static partial int DeviceGetUtilizationRates(IntPtr device, out Utilization utilization);

    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetName")]
    public static unsafe partial int DeviceGetName(IntPtr device, byte* name, uint length);
}

/// <summary>One nvmlInit_v2 … nvmlShutdown span; NVML counts its initializations, so each handle shuts down its own.</summary>
internal sealed class NvmlSession : SafeHandle
{
    private NvmlSession() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Initializes NVML; null when the library is missing or no driver answers.</summary>
    public static NvmlSession? TryOpen(out string? error)
    {
        try
        {
            int status = NvmlInterop.Init();
            if (status != NvmlInterop.Success)
            {
                error = $"nvmlInit_v2 returned {status}";
                return null;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            error = $"{NvmlInterop.Library} not found (no NVIDIA driver)";
            return null;
        }
        error = null;
        var session = new NvmlSession();
        session.SetHandle(1);
        return session;
    }

    protected override bool ReleaseHandle() => NvmlInterop.Shutdown() == NvmlInterop.Success;
}
