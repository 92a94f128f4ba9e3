using System.Buffers;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>20 ms of caller audio at 16 kHz (pooled buffer, returned by the consumer).</summary>
internal readonly record struct AudioTick(float[] Buffer, int Length, TimeSpan At)
{
    public ReadOnlySpan<float> Samples => Buffer.AsSpan(0, Length);
    public void Return() => ArrayPool<float>.Shared.Return(Buffer);
}

/// <summary>20 ms of agent audio at 48 kHz on its way to playout, or the marker that ends a turn's audio.</summary>
internal sealed record PlayoutFrame(SpeechTurn Turn, short[]? Pcm, TurnOutcome Outcome = TurnOutcome.Completed, bool IsUninterruptible = false) : IQueuedFrame
{
    public FrameKind Kind => FrameKind.Data;
    public bool Uninterruptible => IsUninterruptible;
    public bool EndOfTurn => Pcm is null;
}

internal enum AsrCommandKind { Start, Audio, End, Abandon }

/// <summary>Listen stage → ASR stage: utterance boundaries and the caller audio between them.</summary>
internal readonly record struct AsrCommand(AsrCommandKind Kind, int TurnId, short[]? Audio = null, int Length = 0, SpeechTurn? Turn = null);
