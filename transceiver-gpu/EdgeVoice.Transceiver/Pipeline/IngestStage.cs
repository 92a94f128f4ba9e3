using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using EdgeVoice.Transceiver.Jitter;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>Caller frames → jitter buffer → Opus decode (or concealment) → 48 → 16 kHz: one tick per 20 ms.</summary>
internal static class IngestStage
{
    public static (Task Run, ChannelReader<AudioTick> Out) Start(SessionContext context, ChannelReader<MediaFrame> input)
    {
        var output = Channel.CreateBounded<AudioTick>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        var decoder = new OpusFrameDecoder();
        context.Log($"opus decoder: {decoder.Kind}");
        return (Task.Run(() => RunAsync(context, input, output.Writer, decoder)), output.Reader);
    }

    private static async Task RunAsync(SessionContext context, ChannelReader<MediaFrame> input, ChannelWriter<AudioTick> output, OpusFrameDecoder decoder)
    {
        var jitter = new JitterBuffer(context.Options.JitterDepth);
        var resampler = new PolyphaseResampler(OpusFrameDecoder.SampleRate, 16_000);
        var pcm = new short[OpusFrameDecoder.FrameSamples];
        var wide = new float[OpusFrameDecoder.FrameSamples];
        long tick = 0;
        try
        {
            await foreach (var frame in input.ReadAllAsync(context.Stopping.Token))
            {
                if (!jitter.TryPush(frame, out var error))
                {
                    Interlocked.Increment(ref context.RefusedFrames);
                    if (error == JitterError.Duplicate) continue;
                }
                var kind = jitter.Pop(out var next);
                if (kind != JitterSlotKind.Empty) await output.WriteAsync(Decode(kind, next), context.Stopping.Token);
            }
            while (jitter.Drain(out var rest) is var kind && kind != JitterSlotKind.Empty)
                await output.WriteAsync(Decode(kind, rest), context.Stopping.Token);
        }
        catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested) { }
        finally
        {
            output.TryComplete();
        }

        AudioTick Decode(JitterSlotKind kind, MediaFrame frame)
        {
            long start = Stopwatch.GetTimestamp();
            if (kind == JitterSlotKind.Lost)
            {
                // Rebuild the lost frame from the next packet's FEC where it has arrived; conceal otherwise.
                bool recovered = jitter.TryPeekNext(out var next) && decoder.TryRecover(next.Payload.Span, pcm);
                if (!recovered) decoder.Conceal(pcm);
                Interlocked.Increment(ref recovered ? ref context.RecoveredFrames : ref context.ConcealedFrames);
            }
            else if (!decoder.TryDecode(frame.Payload.Span, pcm, out _))
            {
                // A malformed packet is concealed like a lost one: the call goes on.
                Interlocked.Increment(ref context.MalformedFrames);
                Interlocked.Increment(ref context.ConcealedFrames);
                decoder.Conceal(pcm);
            }
            context.Timings.Add("decode", start);
            start = Stopwatch.GetTimestamp();
            for (int i = 0; i < pcm.Length; i++) wide[i] = pcm[i] / 32768f;
            var buffer = ArrayPool<float>.Shared.Rent(resampler.MaxOutput(wide.Length));
            int n = resampler.Process(wide, buffer);
            context.Timings.Add("resample", start);
            return new AudioTick(buffer, n, TimeSpan.FromMilliseconds(20 * tick++));
        }
    }
}
