using System.Diagnostics;
using System.Threading.Channels;
using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;
using EdgeVoice.Transceiver.Tts;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>
/// Per turn: streams the agent's reply, cuts it into sentences, synthesizes each, and queues 20 ms frames at 48 kHz.
/// An agent that fails or stalls gets a spoken apology; the session goes on.
/// </summary>
internal sealed class ResponderStage(SessionContext context, IAgent agent, ISpeechSynthesizer tts, FrameQueue<PlayoutFrame> playout)
{
    public static Task Start(SessionContext context, ChannelReader<SpeechTurn> turns, IAgent agent, ISpeechSynthesizer tts, FrameQueue<PlayoutFrame> playout)
    {
        var stage = new ResponderStage(context, agent, tts, playout);
        return Task.Run(() => stage.RunAsync(turns));
    }

    private async Task RunAsync(ChannelReader<SpeechTurn> turns)
    {
        try
        {
            await foreach (var turn in turns.ReadAllAsync(context.Stopping.Token))
            {
                if (turn.IsInterrupted) continue;
                var responding = RespondAsync(turn);
                await Task.WhenAny(responding, turn.Done);
                if (turn.IsInterrupted)
                {
                    // Barge-in: give the cancelled agent/TTS a bounded time to stop, then move on without it.
                    try { await responding.WaitAsync(context.Options.InterruptWait, context.Stopping.Token); }
                    catch (TimeoutException) { context.Log($"turn {turn.Id}: agent/TTS did not stop within {context.Options.InterruptWait.TotalSeconds:F0} s of barge-in; abandoned"); }
                    continue;
                }
                var outcome = await responding;
                if (turn.IsInterrupted) turn.Finish(TurnOutcome.Interrupted);
                else playout.Enqueue(new PlayoutFrame(turn, null, outcome));
            }
        }
        catch (OperationCanceledException) when (context.Stopping.IsCancellationRequested) { }
    }

    private async Task<TurnOutcome> RespondAsync(SpeechTurn turn)
    {
        using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(turn.Token, context.Stopping.Token);
        watchdog.CancelAfter(context.Options.AgentFirstTokenTimeout);
        var chunker = new SentenceChunker();
        int chars = 0;
        long start = Stopwatch.GetTimestamp();
        try
        {
            await foreach (var piece in agent.ReplyAsync(turn.Transcript, watchdog.Token).WithCancellation(watchdog.Token))
            {
                context.Timings.Add("agent", start);
                turn.AgentFirstText ??= Stopwatch.GetElapsedTime(start);
                chars += piece.Length;
                if (chars > context.Options.MaxReplyChars) break;
                foreach (var sentence in chunker.Add(piece))
                {
                    // Synthesis time is not the agent stalling.
                    watchdog.CancelAfter(Timeout.InfiniteTimeSpan);
                    await SpeakAsync(turn, sentence);
                }
                watchdog.CancelAfter(context.Options.AgentStallTimeout);
                start = Stopwatch.GetTimestamp();
            }
            watchdog.CancelAfter(Timeout.InfiniteTimeSpan);
            if (chunker.Flush() is { } rest) await SpeakAsync(turn, rest);
            return TurnOutcome.Completed;
        }
        catch (OperationCanceledException) when (turn.IsInterrupted || context.Stopping.IsCancellationRequested)
        {
            return TurnOutcome.Interrupted;
        }
        catch (Exception) when (turn.IsInterrupted)
        {
            // Whatever an interrupted turn's agent does afterwards is no longer the caller's concern.
            return TurnOutcome.Interrupted;
        }
        catch (Exception e)
        {
            string reason = e switch
            {
                OperationCanceledException => "agent stalled",
                SynthesisFailedException => $"speech synthesis failed: {e.Message}",
                _ => $"agent failed: {e.Message}",
            };
            context.Emit(PipelineEventKind.TurnError, turn.Id, reason);
            context.Log($"turn {turn.Id}: {reason}");
            try
            {
                await SpeakAsync(turn, context.Options.Apology);
            }
            catch (OperationCanceledException) when (turn.IsInterrupted) { }
            catch (Exception speakError) when (speakError is not OperationCanceledException)
            {
                // TTS itself is broken: the turn ends silently, the session still goes on.
                context.Emit(PipelineEventKind.TurnError, turn.Id, $"apology could not be spoken: {speakError.Message}");
            }
            return TurnOutcome.Failed;
        }
    }

    private async Task SpeakAsync(SpeechTurn turn, string sentence)
    {
        context.Emit(PipelineEventKind.AgentText, turn.Id, sentence);
        long start = Stopwatch.GetTimestamp();
        short[] speech;
        try
        {
            speech = await tts.SynthesizeAsync(sentence, turn.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new SynthesisFailedException($"{tts.Name}: {e.Message}", e);
        }
        context.Timings.Add("tts", start);
        turn.FirstSentenceSynthesis ??= Stopwatch.GetElapsedTime(start);
        turn.Token.ThrowIfCancellationRequested();
        start = Stopwatch.GetTimestamp();
        foreach (var frame in ToFrames(speech)) playout.Enqueue(new PlayoutFrame(turn, frame));
        context.Timings.Add("resample", start);
    }

    private List<short[]> ToFrames(short[] speech)
    {
        var wide = PolyphaseResampler.Convert(speech, tts.SampleRate, OpusFrameDecoder.SampleRate);
        var frames = new List<short[]>((wide.Length + OpusFrameDecoder.FrameSamples - 1) / OpusFrameDecoder.FrameSamples);
        for (int offset = 0; offset < wide.Length; offset += OpusFrameDecoder.FrameSamples)
        {
            var frame = new short[OpusFrameDecoder.FrameSamples];
            wide.AsSpan(offset, Math.Min(frame.Length, wide.Length - offset)).CopyTo(frame);
            frames.Add(frame);
        }
        return frames;
    }
}

/// <summary>The synthesizer failed (as opposed to the agent), so the turn's error names the right engine.</summary>
internal sealed class SynthesisFailedException(string message, Exception inner) : Exception(message, inner);
