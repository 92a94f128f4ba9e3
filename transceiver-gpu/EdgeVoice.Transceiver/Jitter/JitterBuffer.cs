using EdgeVoice.Transceiver.Pipeline;

namespace EdgeVoice.Transceiver.Jitter;

/// <summary>What the jitter buffer hands out for one 20 ms playout slot.</summary>
public enum JitterSlotKind
{
    /// <summary>Nothing to play: the buffer is still filling or has run dry.</summary>
    Empty,
    /// <summary>The frame with the expected sequence number.</summary>
    Frame,
    /// <summary>The expected frame is missing while later ones wait: the decoder must conceal it.</summary>
    Lost,
}

/// <summary>
/// Orders Opus frames by RTP sequence number (with 16-bit wrap-around) and releases them one per playout slot,
/// reporting gaps as <see cref="JitterSlotKind.Lost"/> so the decoder conceals them. Sans-IO: the caller pops on its clock.
/// </summary>
public sealed class JitterBuffer
{
    private readonly MediaFrame?[] _slots;
    private readonly int _targetDepth;
    private ushort _next;
    private bool _started;
    private bool _primed;
    private int _count;

    /// <param name="targetDepth">Frames held before playout starts (absorbs that much jitter; 3 = 60 ms).</param>
    /// <param name="capacity">Largest reorder window in frames; frames further ahead are refused.</param>
    public JitterBuffer(int targetDepth = 3, int capacity = 64)
    {
        // A power-of-two capacity divides 65536, so slot indices stay consistent across sequence wrap-around.
        if (capacity < 2 || capacity > 32768 || (capacity & (capacity - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(capacity), "a power of two up to 32768");
        if (targetDepth < 1 || targetDepth > capacity) throw new ArgumentOutOfRangeException(nameof(targetDepth));
        _targetDepth = targetDepth;
        _slots = new MediaFrame?[capacity];
    }

    public int Count => _count;
    public long Lost { get; private set; }
    public long Late { get; private set; }

    public bool TryPush(in MediaFrame frame, out JitterError error)
    {
        if (!_started)
        {
            _next = frame.Sequence;
            _started = true;
        }
        int ahead = (short)(ushort)(frame.Sequence - _next);
        if (ahead < 0) { Late++; error = JitterError.TooLate; return false; }
        if (ahead >= _slots.Length) { error = JitterError.TooFarAhead; return false; }
        ref var slot = ref _slots[frame.Sequence % _slots.Length];
        if (slot is { } existing)
        {
            error = existing.Sequence == frame.Sequence ? JitterError.Duplicate : JitterError.Full;
            return false;
        }
        slot = frame;
        _count++;
        error = JitterError.None;
        return true;
    }

    /// <summary>Takes what plays in the next 20 ms slot.</summary>
    public JitterSlotKind Pop(out MediaFrame frame)
    {
        frame = default;
        if (!_primed)
        {
            if (_count < _targetDepth) return JitterSlotKind.Empty;
            _primed = true;
        }
        if (_count == 0)
        {
            // Ran dry: refill to the target depth before playing again, rather than concealing forever.
            _primed = false;
            return JitterSlotKind.Empty;
        }
        return Advance(out frame);
    }

    /// <summary>Takes the next slot regardless of depth (end of stream); Empty once nothing is left.</summary>
    public JitterSlotKind Drain(out MediaFrame frame)
    {
        frame = default;
        return _count == 0 ? JitterSlotKind.Empty : Advance(out frame);
    }

    /// <summary>The frame that plays next, if it has arrived (after a loss it carries the lost frame's FEC data).</summary>
    public bool TryPeekNext(out MediaFrame frame)
    {
        if (_slots[_next % _slots.Length] is { } f && f.Sequence == _next) { frame = f; return true; }
        frame = default;
        return false;
    }

    private JitterSlotKind Advance(out MediaFrame frame)
    {
        ref var slot = ref _slots[_next % _slots.Length];
        _next++;
        if (slot is { } f)
        {
            slot = null;
            _count--;
            frame = f;
            return JitterSlotKind.Frame;
        }
        frame = default;
        Lost++;
        return JitterSlotKind.Lost;
    }
}
