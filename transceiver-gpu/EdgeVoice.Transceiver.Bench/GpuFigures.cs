using System.Diagnostics;
using EdgeVoice.Transceiver.Accelerator;
using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Vad;
using Microsoft.ML.OnnxRuntime;

namespace EdgeVoice.Transceiver.Bench;

/// <summary>
/// The transceiver's ONNX path on the CUDA execution provider beside the CPU provider in the same run: the same
/// speech through Silero VAD on each (probabilities compared), per-chunk latency, and chunks per second with many
/// concurrent sessions sharing one model session, as the serve path shares it. Exits 1 if CUDA is not really used.
/// </summary>
internal static class GpuFigures
{
    private const double ChunkSeconds = 512 / 16_000.0;

    public static int Run(string speechWav, string sileroModel, int deviceId, int[] sessionCounts, int chunksPerSession)
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        var (samples, rate) = WaveFile.Read(speechWav);
        if (rate != 16_000) { Console.Error.WriteLine($"{speechWav}: {rate} Hz; give 16 kHz speech"); return 2; }
        var chunks = Chunks(samples);
        Console.WriteLine($"input: {speechWav}, {samples.Length / 16_000.0:F2} s, {chunks.Count} Silero chunks of 32 ms");

        var cpuFactory = new OnnxSessionFactory(new DeviceConfig("cpu", 0), Console.WriteLine);
        var cpu = cpuFactory.Open(sileroModel);
        var gpuFactory = new OnnxSessionFactory(new DeviceConfig("cuda", deviceId), Console.WriteLine);
        var gpu = gpuFactory.Open(sileroModel);
        if (gpuFactory.LastProvider != "CUDA")
        {
            Console.Error.WriteLine("the CUDA execution provider did not open: nothing to compare");
            return 1;
        }

        // Same input, both providers: the probabilities must agree (float kernels differ only in rounding).
        var onCpu = Probabilities(cpu, chunks);
        var onGpu = Probabilities(gpu, chunks, onDevice: true);
        double maxDiff = onCpu.Zip(onGpu, (a, b) => Math.Abs(a - b)).Max();
        int decisionsDiffer = onCpu.Zip(onGpu, (a, b) => (a >= 0.5f) != (b >= 0.5f)).Count(d => d);
        Console.WriteLine($"agreement: max |p_cpu - p_cuda| = {maxDiff:E2}; speech decisions (p >= 0.5) differing: {decisionsDiffer} of {chunks.Count}; speech chunks {onCpu.Count(p => p >= 0.5f)} (cpu) {onGpu.Count(p => p >= 0.5f)} (cuda)");
        // The same model through plain Run (fresh input and output values each chunk, no I/O binding): tells a
        // binding problem from a provider problem.
        var plainCpu = PlainRunProbabilities(cpu, chunks);
        var plainGpu = PlainRunProbabilities(gpu, chunks);
        Console.WriteLine($"plain Run: max |p_cpu - p_cuda| = {plainCpu.Zip(plainGpu, (a, b) => Math.Abs(a - b)).Max():E2}; max |p_cpu(binding) - p_cpu(plain)| = {onCpu.Zip(plainCpu, (a, b) => Math.Abs(a - b)).Max():E2}; speech chunks {plainCpu.Count(p => p >= 0.5f)} (cpu) {plainGpu.Count(p => p >= 0.5f)} (cuda)");

        var cpuLatency = Latencies(cpu, chunks, 2000);
        var gpuLatency = Latencies(gpu, chunks, 2000, onDevice: true);
        Console.WriteLine("one session, time per 32 ms chunk (2000 chunks after warm-up):");
        Console.WriteLine($"  cpu   p50 {Percentile(cpuLatency, 0.5):F3} ms  p99 {Percentile(cpuLatency, 0.99):F3} ms");
        Console.WriteLine($"  cuda  p50 {Percentile(gpuLatency, 0.5):F3} ms  p99 {Percentile(gpuLatency, 0.99):F3} ms  (cuda/cpu p50 {Percentile(gpuLatency, 0.5) / Percentile(cpuLatency, 0.5):F2}x)");

        using var gpuUse = AcceleratorUse.Open(new DeviceConfig("cuda", deviceId), Console.WriteLine);
        Console.WriteLine($"concurrent sessions on one shared model session, {chunksPerSession} chunks each (real-time sessions = chunks/s x 32 ms):");
        foreach (int n in sessionCounts)
        {
            double cpuRate = Throughput(cpu, chunks, n, chunksPerSession);
            double gpuRate = Throughput(gpu, chunks, n, chunksPerSession, onDevice: true);
            ushort used = gpuUse.Permille(); // NVML's last sample period ends with the CUDA run
            Console.WriteLine($"  {n,4} sessions: cpu {cpuRate,9:F0} chunks/s ({cpuRate * ChunkSeconds,6:F0} real-time)   cuda {gpuRate,9:F0} chunks/s ({gpuRate * ChunkSeconds,6:F0} real-time)   cuda/cpu {gpuRate / cpuRate:F2}x   load report ({gpuUse.Source}) {used / 10.0:F1}%");
        }
        return decisionsDiffer * 100 > chunks.Count ? 1 : 0;
    }

    private static List<float[]> Chunks(short[] samples)
    {
        var chunks = new List<float[]>();
        for (int o = 0; o + 512 <= samples.Length; o += 512)
        {
            var chunk = new float[512];
            for (int i = 0; i < 512; i++) chunk[i] = samples[o + i] / 32768f;
            chunks.Add(chunk);
        }
        return chunks;
    }

    private static float[] Probabilities(InferenceSession session, List<float[]> chunks, bool onDevice = false)
    {
        using var vad = new SileroVad(session, onDevice);
        return chunks.Select(c => vad.SpeechProbability(c)).ToArray();
    }

    private static float[] PlainRunProbabilities(InferenceSession session, List<float[]> chunks)
    {
        var window = new float[64 + 512];
        var state = new float[2 * 128];
        var result = new float[chunks.Count];
        for (int c = 0; c < chunks.Count; c++)
        {
            window.AsSpan(512, 64).CopyTo(window);
            chunks[c].CopyTo(window.AsSpan(64));
            using var input = OrtValue.CreateTensorValueFromMemory((float[])window.Clone(), [1, 64 + 512]);
            using var stateIn = OrtValue.CreateTensorValueFromMemory((float[])state.Clone(), [2, 1, 128]);
            using var rate = OrtValue.CreateTensorValueFromMemory(new long[] { 16_000 }, []);
            using var outputs = session.Run(new RunOptions(), ["input", "state", "sr"], [input, stateIn, rate], ["output", "stateN"]);
            result[c] = outputs[0].GetTensorDataAsSpan<float>()[0];
            outputs[1].GetTensorDataAsSpan<float>().CopyTo(state);
        }
        return result;
    }

    private static double[] Latencies(InferenceSession session, List<float[]> chunks, int count, bool onDevice = false)
    {
        using var vad = new SileroVad(session, onDevice);
        for (int i = 0; i < 200; i++) vad.SpeechProbability(chunks[i % chunks.Count]);
        var ms = new double[count];
        for (int i = 0; i < count; i++)
        {
            long start = Stopwatch.GetTimestamp();
            vad.SpeechProbability(chunks[i % chunks.Count]);
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(ms);
        return ms;
    }

    private static double Throughput(InferenceSession session, List<float[]> chunks, int sessions, int chunksPerSession, bool onDevice = false)
    {
        var vads = Enumerable.Range(0, sessions).Select(_ => new SileroVad(session, onDevice)).ToArray();
        try
        {
            foreach (var vad in vads) vad.SpeechProbability(chunks[0]);
            var sw = Stopwatch.StartNew();
            Parallel.For(0, sessions, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(sessions, Environment.ProcessorCount) }, s =>
            {
                for (int i = 0; i < chunksPerSession; i++) vads[s].SpeechProbability(chunks[(i + s) % chunks.Count]);
            });
            return sessions * (double)chunksPerSession / sw.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var vad in vads) vad.Dispose();
        }
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}
