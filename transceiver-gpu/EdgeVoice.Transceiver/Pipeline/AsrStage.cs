using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using EdgeVoice.Transceiver.Asr;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>Runs the recognizer over each utterance, emits partial and final transcripts, hands finished turns on.</summary>
internal static class AsrStage
{
    public static (Task Run, ChannelReader<SpeechTurn> Out) Start(SessionContext context, ChannelReader<AsrCommand> commands, ISpeechRecognizer recognizer)
    {
        var output = Channel.CreateUnbounded<SpeechTurn>(new() { SingleReader = true, SingleWriter = true });
        return (Task.Run(() => RunAsync(context, commands, recognizer, output.Writer)), output.Reader);
    }

    private static async Task RunAsync(SessionContext context, ChannelReader<AsrCommand> commands, ISpeechRecognizer recognizer, ChannelWriter<SpeechTurn> output)
    {
        int partialEvery = (int)(16_000 * context.Options.PartialEvery.TotalSeconds);
        int sincePartial = 0;
        string lastPartial = string.Empty;
        bool failed = false;
        try
        {
            await foreach (var command in commands.ReadAllAsync(context.Stopping.Token))
            {
                try
                {
                    switch (command.Kind)
                    {
                        case AsrCommandKind.Start:
                            failed = false;
                            recognizer.StartUtterance();
                            sincePartial = 0;
                            lastPartial = string.Empty;
                            break;
                        case AsrCommandKind.Audio when !failed:
                            long start = Stopwatch.GetTimestamp();
                            recognizer.AcceptAudio(command.Audio.AsSpan(0, command.Length));
                            sincePartial += command.Length;
                            if (sincePartial >= partialEvery)
                            {
                                sincePartial = 0;
                                if (recognizer.Partial() is { Length: > 0 } partial && partial != lastPartial)
                                {
                                    lastPartial = partial;
                                    context.Emit(PipelineEventKind.PartialTranscript, command.TurnId, partial);
                                }
                            }
                            context.Timings.Add("asr", start);
                            break;
                        case AsrCommandKind.End:
                            await FinishAsync(context, recognizer, command.Turn!, failed, output);
                            break;
                        case AsrCommandKind.Abandon:
                            await recognizer.FinishAsync(CancellationToken.None);
                            break;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One bad utterance must not end the session: report it and skip to the next.
                    failed = true;
                    context.Emit(PipelineEventKind.TurnError, command.TurnId, $"{recognizer.Name}: {e.Message}");
                    command.Turn?.Finish(TurnOutcome.Failed);
                }
                finally
                {
                    if (command.Audio is { } pooled) ArrayPool<short>.Shared.Return(pooled);
                }
            }
        }
        catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested) { }
        finally
        {
            output.TryComplete();
        }
    }

    private static async Task FinishAsync(SessionContext context, ISpeechRecognizer recognizer, SpeechTurn turn, bool failed, ChannelWriter<SpeechTurn> output)
    {
        if (failed) { turn.Finish(TurnOutcome.Failed); return; }
        long start = Stopwatch.GetTimestamp();
        string text = await recognizer.FinishAsync(turn.Token);
        context.Timings.Add("asr", start);
        turn.AsrLatency = Stopwatch.GetElapsedTime(turn.EndedAtTimestamp);
        turn.Transcript = text;
        context.Emit(PipelineEventKind.FinalTranscript, turn.Id, text);
        if (turn.IsInterrupted) return;
        if (string.IsNullOrWhiteSpace(text)) { turn.Finish(TurnOutcome.NothingHeard); return; }
        await output.WriteAsync(turn);
    }
}
