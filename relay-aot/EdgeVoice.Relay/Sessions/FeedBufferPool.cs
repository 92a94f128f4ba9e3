namespace EdgeVoice.Relay.Sessions;

/// <summary>
/// The callers' feeds' payload buffers, handed from ended calls to new ones. A feed's 64 KiB lives on the pinned heap,
/// which the GC counts with the large objects: allocating one per call made call setup pay for full, blocking
/// collections now and then. Any thread.
/// </summary>
/// <remarks>
/// A buffer comes back holding the last call's audio; a feed reads only the bytes it wrote itself (<see cref="CallerFeed"/>
/// keeps every frame's offset and length), so nothing of one call can reach another.
/// </remarks>
public sealed class FeedBufferPool
{
    private readonly Lock _gate = new();
    private readonly byte[][] _free;
    private int _count;

    /// <param name="bufferBytes">The size of every buffer.</param>
    /// <param name="keepAtMost">Free buffers kept for the next calls; more are left to the GC. 0: a pool that keeps none.</param>
    public FeedBufferPool(int bufferBytes, int keepAtMost)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(keepAtMost);
        BufferBytes = bufferBytes;
        _free = new byte[keepAtMost][];
    }

    public int BufferBytes { get; }

    /// <summary>Free buffers held now.</summary>
    public int Free
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>A buffer of <see cref="BufferBytes"/>: one an ended call gave back, else a new one, pinned and not zeroed.</summary>
    public byte[] Rent()
    {
        lock (_gate)
        {
            if (_count > 0)
            {
                byte[] buffer = _free[--_count];
                _free[_count] = null!;
                return buffer;
            }
        }
        // Pinned: the GC neither copies it as the call ages nor zeroes it (a feed reads only what it wrote).
        return GC.AllocateUninitializedArray<byte>(BufferBytes, pinned: true);
    }

    /// <summary>Gives back a buffer from <see cref="Rent"/> that its feed no longer touches.</summary>
    public void Return(byte[] buffer)
    {
        if (buffer.Length != BufferBytes)
            throw new ArgumentException($"a {buffer.Length}-byte buffer does not belong to a pool of {BufferBytes}-byte buffers", nameof(buffer));
        lock (_gate)
        {
            if (_count < _free.Length)
                _free[_count++] = buffer;
        }
    }
}
