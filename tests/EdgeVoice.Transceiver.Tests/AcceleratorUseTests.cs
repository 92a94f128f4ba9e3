using EdgeVoice.Transceiver.Accelerator;
using EdgeVoice.Transceiver.Configuration;

namespace EdgeVoice.Transceiver.Tests;

public sealed class AcceleratorUseTests
{
    [Fact]
    public void Cpu_device_reports_this_process_cpu_use_and_it_rises_with_work()
    {
        using var use = AcceleratorUse.Open(new DeviceConfig("cpu", 0), _ => throw new InvalidOperationException("no log line expected on cpu"));
        Assert.Equal("cpu", use.Source);
        use.Permille();
        var until = DateTime.UtcNow.AddMilliseconds(300);
        long spins = 0;
        while (DateTime.UtcNow < until) spins++;
        ushort busy = use.Permille();
        // One busy core of Environment.ProcessorCount for 300 ms: well above zero, never above 1000.
        Assert.InRange(busy, (ushort)(1000 / Environment.ProcessorCount / 4), (ushort)1000);
    }

    [Fact]
    public void Cuda_device_without_a_driver_says_so_once_and_falls_back_to_cpu()
    {
        if (File.Exists("/dev/nvidiactl")) return; // a GPU machine: the NVML path is checked by the bench's `gpu` command
        var log = new List<string>();
        using var use = AcceleratorUse.Open(new DeviceConfig("cuda", 0), log.Add);
        Assert.Equal("cpu", use.Source);
        Assert.Single(log);
        Assert.Contains("GPU utilisation unavailable", log[0]);
        Assert.InRange(use.Permille(), (ushort)0, (ushort)1000);
    }
}
