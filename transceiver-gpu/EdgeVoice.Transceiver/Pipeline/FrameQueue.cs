namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>Frame kinds: system frames jump the queue; data frames wait their turn.</summary>
public enum FrameKind
{
    Data,
    System,
}

/// <summary>Something that travels through a <see cref="FrameQueue{T}"/>.</summary>
public interface IQueuedFrame
{
    FrameKind Kind { get; }

    /// <summary>Kept when an interruption drops queued data frames.</summary>
    bool Uninterruptible { get; }
}

/// <summary>
/// A two-lane queue between stages: system frames are dequeued before any data frame, and an interruption drops
/// every queued data frame except the uninterruptible ones. Thread-safe; a waiter can await the next frame.
/// </summary>
public sealed class FrameQueue<T> where T : IQueuedFrame
{
    private readonly Lock _gate = new();
    private readonly Queue<T> _system = new();
    private readonly LinkedList<T> _data = new();
    private TaskCompletionSource _available = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count { get { lock (_gate) return _system.Count + _data.Count; } }

    public void Enqueue(T frame)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (frame.Kind == FrameKind.System) _system.Enqueue(frame);
            else _data.AddLast(frame);
            signal = _available;
            _available = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        signal.TrySetResult();
    }

    public bool TryDequeue(out T frame)
    {
        lock (_gate)
        {
            if (_system.TryDequeue(out frame!)) return true;
            if (_data.First is { } first) { frame = first.Value; _data.RemoveFirst(); return true; }
            frame = default!;
            return false;
        }
    }

    /// <summary>Drops queued data frames (not uninterruptible ones); returns how many were dropped.</summary>
    public int DropInterruptible()
    {
        lock (_gate)
        {
            int dropped = 0;
            for (var node = _data.First; node is not null;)
            {
                var next = node.Next;
                if (!node.Value.Uninterruptible) { _data.Remove(node); dropped++; }
                node = next;
            }
            return dropped;
        }
    }

    /// <summary>Completes when a frame is queued (or already is).</summary>
    public Task WhenAvailable()
    {
        lock (_gate) return _system.Count + _data.Count > 0 ? Task.CompletedTask : _available.Task;
    }
}
