using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using EdgeVoice.Transceiver.Turns;
using EdgeVoice.Transceiver.Vad;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>
/// The session's clock: per caller tick it runs VAD and turn detection, feeds ASR, handles barge-in, and releases
/// one 20 ms frame of agent audio, so playout is paced by the caller's frames and barge-in lands between two frames.
/// </summary>
internal sealed class ListenStage
{
    private readonly SessionContext _context;
    private readonly IVoiceActivityDetector _vad;
    private readonly FrameQueue<PlayoutFrame> _playout;
    private readonly ChannelWriter<AsrCommand> _asr;
    private readonly ChannelWriter<(PlayoutFrame Frame, TimeSpan At)> _speaker;
    private readonly TurnDetector _turns;
    private readonly float[] _vadChunk;
    private readonly float[] _preRoll;
    private int _vadFill;
    private int _preRollStart;
    private int _preRollCount;
    private int _utteranceId;
    private SpeechTurn? _activeTurn;

    private ListenStage(SessionContext context, IVoiceActivityDetector vad, FrameQueue<PlayoutFrame> playout, ChannelWriter<AsrCommand> asr, ChannelWriter<(PlayoutFrame Frame, TimeSpan At)> speaker)
    {
        _context = context;
        _vad = vad;
        _playout = playout;
        _asr = asr;
        _speaker = speaker;
        _turns = new TurnDetector(context.Options.Turns);
        _vadChunk = new float[vad.ChunkSamples];
        _preRoll = new float[(int)(16_000 * context.Options.PreRoll.TotalSeconds)];
    }

    public static (Task Run, ChannelReader<(PlayoutFrame Frame, TimeSpan At)> Out) Start(SessionContext context, ChannelReader<AudioTick> ticks,
        IVoiceActivityDetector vad, FrameQueue<PlayoutFrame> playout, ChannelWriter<AsrCommand> asr)
    {
        var speaker = Channel.CreateBounded<(PlayoutFrame Frame, TimeSpan At)>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        var stage = new ListenStage(context, vad, playout, asr, speaker.Writer);
        return (Task.Run(() => stage.RunAsync(ticks)), speaker.Reader);
    }

    private async Task RunAsync(ChannelReader<AudioTick> ticks)
    {
        try
        {
            await foreach (var tick in ticks.ReadAllAsync(_context.Stopping.Token))
            {
                _context.SetNow(tick.At);
                try { await ListenAsync(tick); }
                finally { tick.Return(); }
                await PlayOneFrameAsync();
            }
            if (_turns.InTurn)
            {
                // Input ended mid-utterance: the turn never completed.
                await _asr.WriteAsync(new AsrCommand(AsrCommandKind.Abandon, _utteranceId));
                _context.AbandonTurn();
            }
        }
        catch (OperationCanceledException) when (_context.Stopping.IsCancellationRequested) { }
        finally
        {
            _asr.TryComplete();
            _speaker.TryComplete();
        }
    }

    private async ValueTask ListenAsync(AudioTick tick)
    {
        RememberPreRoll(tick.Samples);
        bool wasInTurn = _turns.InTurn;
        for (int offset = 0; offset < tick.Length;)
        {
            int take = Math.Min(tick.Length - offset, _vadChunk.Length - _vadFill);
            tick.Samples.Slice(offset, take).CopyTo(_vadChunk.AsSpan(_vadFill));
            _vadFill += take;
            offset += take;
            if (_vadFill < _vadChunk.Length) continue;
            _vadFill = 0;
            long start = Stopwatch.GetTimestamp();
            float probability = _vad.SpeechProbability(_vadChunk);
            _context.Timings.Add("vad", start);
            var signal = _turns.Update(probability, TimeSpan.FromSeconds(_vadChunk.Length / 16_000.0));
            if (signal == TurnSignal.SpeechStarted) await OnSpeechStartedAsync();
            else if (signal is TurnSignal.TurnEnded or TurnSignal.TurnCut) await OnTurnEndedAsync(signal);
        }
        // A turn that started in this tick got the tick through the pre-roll.
        if (wasInTurn) await _asr.WriteAsync(new AsrCommand(AsrCommandKind.Audio, _utteranceId, ToPcm16(tick.Samples), tick.Length));
    }

    private async ValueTask OnSpeechStartedAsync()
    {
        if (_context.Options.BargeIn && _activeTurn is { } speaking && !speaking.Done.IsCompleted)
        {
            // Barge-in is one cancellation: cancel the turn, drop its queued audio, and listen to the new turn.
            speaking.Interrupt();
            int dropped = _playout.DropInterruptible();
            Interlocked.Add(ref _context.DroppedAgentFrames, dropped);
            _context.SetState(SessionState.Interrupted, speaking.Id);
            _activeTurn = null;
        }
        _utteranceId = _context.OpenTurn();
        _context.SetState(SessionState.Listening, _utteranceId);
        await _asr.WriteAsync(new AsrCommand(AsrCommandKind.Start, _utteranceId));
        var preRoll = PreRollPcm16(out int length);
        await _asr.WriteAsync(new AsrCommand(AsrCommandKind.Audio, _utteranceId, preRoll, length));
    }

    private async ValueTask OnTurnEndedAsync(TurnSignal signal)
    {
        var turn = new SpeechTurn(_utteranceId, _context.Now);
        _context.Track(turn);
        _activeTurn = turn;
        if (signal == TurnSignal.TurnCut) _context.Emit(PipelineEventKind.TurnError, turn.Id, "turn reached the maximum length and was cut");
        _context.SetState(SessionState.Thinking, turn.Id);
        await _asr.WriteAsync(new AsrCommand(AsrCommandKind.End, turn.Id, Turn: turn));
    }

    private async ValueTask PlayOneFrameAsync()
    {
        if (_activeTurn is { } pending && pending.Done.IsCompleted)
        {
            // Finished without audio (nothing heard, or failed before speaking).
            _activeTurn = null;
            _context.SetState(SessionState.Listening, pending.Id);
        }
        if (_context.Options.Pacing == Pacing.Offline && _activeTurn is { } waiting && _playout.Count == 0)
        {
            // Offline, media time stands still while the models work.
            var ready = await Task.WhenAny(_playout.WhenAvailable(), waiting.Done).WaitAsync(_context.Options.OfflineWaitLimit, _context.Stopping.Token)
                .ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
            if (!ready) _context.Log($"turn {waiting.Id}: no agent audio within {_context.Options.OfflineWaitLimit.TotalSeconds:F0} s");
        }
        while (_playout.TryDequeue(out var frame))
        {
            if (frame.Turn.IsInterrupted && !frame.Uninterruptible) continue;
            if (frame.EndOfTurn)
            {
                frame.Turn.Finish(frame.Outcome);
                if (_activeTurn == frame.Turn) _activeTurn = null;
                // Without barge-in a newer turn may already be waiting for its answer: stay Thinking for it.
                if (_activeTurn is null) _context.SetState(SessionState.Listening, frame.Turn.Id);
                else _context.SetState(SessionState.Thinking, _activeTurn.Id);
                continue;
            }
            if (frame.Turn.MarkFirstAudio(_context.Now)) _context.ReportTiming(frame.Turn);
            _context.SetState(SessionState.Speaking, frame.Turn.Id);
            await _speaker.WriteAsync((frame, _context.Now), _context.Stopping.Token);
            return;
        }
    }

    private void RememberPreRoll(ReadOnlySpan<float> samples)
    {
        if (_preRoll.Length == 0) return; // preroll_ms: 0
        foreach (float s in samples)
        {
            int index = (_preRollStart + _preRollCount) % _preRoll.Length;
            _preRoll[index] = s;
            if (_preRollCount < _preRoll.Length) _preRollCount++;
            else _preRollStart = (_preRollStart + 1) % _preRoll.Length;
        }
    }

    private short[] PreRollPcm16(out int length)
    {
        length = _preRollCount;
        var pcm = ArrayPool<short>.Shared.Rent(Math.Max(1, length));
        for (int i = 0; i < length; i++) pcm[i] = Saturate(_preRoll[(_preRollStart + i) % _preRoll.Length]);
        return pcm;
    }

    private static short[] ToPcm16(ReadOnlySpan<float> samples)
    {
        var pcm = ArrayPool<short>.Shared.Rent(Math.Max(1, samples.Length));
        for (int i = 0; i < samples.Length; i++) pcm[i] = Saturate(samples[i]);
        return pcm;
    }

    private static short Saturate(float s) => (short)Math.Clamp(MathF.Round(s * 32768f), short.MinValue, short.MaxValue);
}
