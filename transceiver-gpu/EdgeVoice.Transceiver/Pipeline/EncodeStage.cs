using System.Diagnostics;
using System.Threading.Channels;
using EdgeVoice.Transceiver.Opus;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>Agent PCM frames → Opus 20 ms frames with their own sequence numbers and timestamps.</summary>
internal static class EncodeStage
{
    public static (Task Run, ChannelReader<AgentFrame> Out) Start(SessionContext context, ChannelReader<(PlayoutFrame Frame, TimeSpan At)> frames)
    {
        var output = Channel.CreateUnbounded<AgentFrame>(new() { SingleReader = true, SingleWriter = true });
        var encoder = new OpusFrameEncoder(context.Options.OpusBitrate);
        context.Log($"opus encoder: {encoder.Kind}");
        return (Task.Run(() => RunAsync(context, frames, encoder, output.Writer)), output.Reader);
    }

    private static async Task RunAsync(SessionContext context, ChannelReader<(PlayoutFrame Frame, TimeSpan At)> frames, OpusFrameEncoder encoder, ChannelWriter<AgentFrame> output)
    {
        var packet = new byte[OpusFrameEncoder.MaxPacketBytes];
        ushort sequence = (ushort)Random.Shared.Next(ushort.MaxValue);
        uint timestamp = (uint)Random.Shared.Next();
        try
        {
            await foreach (var (frame, at) in frames.ReadAllAsync(context.Stopping.Token))
            {
                // Released before any barge-in (the listen stage stops releasing at once), so it is played even if encoding lags.
                long start = Stopwatch.GetTimestamp();
                int n = encoder.Encode(frame.Pcm, packet);
                context.Timings.Add("encode", start);
                output.TryWrite(new AgentFrame(new MediaFrame(sequence++, timestamp, packet.AsSpan(0, n).ToArray()), frame.Turn.Id, at));
                timestamp += OpusFrameDecoder.FrameSamples;
            }
        }
        catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested) { }
        finally
        {
            output.TryComplete();
        }
    }
}
