using EdgeVoice.Relay.Notices;

namespace EdgeVoice.Relay.Sessions;

/// <summary>
/// What other threads hand a call's media loop: frames for the caller (a bounded ring, copied in, no allocation) and a
/// request to end the call. The loop drains one frame per 20 ms (<see cref="CallSession"/> paces it), so frames that
/// arrive in bursts reach the caller evenly. A transceiver may send a reply faster than real time (its frames follow the
/// caller's, which come in a burst after a stall), so the feed holds up to 5 s of frames, stored back to back; when it
/// is full, the oldest frame is dropped to keep the delay bounded.
/// A notice to play before the call ends (<see cref="PlayNoticeThenEnd"/>) is handed over whole: the loop paces it out itself.
/// The payload buffer comes from a <see cref="FeedBufferPool"/> with the first frame and goes back when the call ends
/// (<see cref="Release"/>); frames that come later are ignored.
/// </summary>
public sealed class CallerFeed
{
    /// <summary>Frames held at most: 5 s of 20 ms frames.</summary>
    public const int DefaultCapacity = 250;
    /// <summary>Payload bytes held at most: 5 s of Opus at about 100 kbit/s (a browser's voice is 30-50 kbit/s).</summary>
    public const int DefaultBufferBytes = 64 * 1024;
    public const int MaxPayload = 1200;

    private readonly Lock _gate = new();
    private readonly Action _wakeLoop;
    private readonly Action? _wakeNow;
    private readonly Func<TimeSpan>? _clock;
    private readonly Action? _onDropped;
    private long _pacedUntil = long.MinValue;
    private readonly FeedBufferPool _buffers;
    /// <summary>From <see cref="_buffers"/> with the first frame, back to it at <see cref="Release"/>; null before and after.</summary>
    private byte[]? _payloads;
    private bool _released;
    private readonly int[] _offsets;
    private readonly int[] _lengths;
    private readonly ushort[] _sequences;
    private readonly uint[] _timestamps;
    private readonly bool[] _markers;
    private int _head;
    private int _count;
    /// <summary>Where the next payload goes in <see cref="_payloads"/>; payloads lie from the head frame's offset up to here, wrapping once.</summary>
    private int _write;
    private long _dropped;
    private volatile string? _endReason;
    private volatile NoticeAudio? _notice;
    private string? _noticeReason;

    /// <param name="wakeLoop">Makes the media loop run its timers soon; called when the feed goes from empty to not empty, or on an end request.</param>
    /// <param name="capacity">Frames held at most.</param>
    /// <param name="bufferBytes">Payload bytes held at most (at least <see cref="MaxPayload"/>).</param>
    /// <param name="onDropped">Called for each dropped frame (the relay's drop counter); any thread.</param>
    /// <param name="wakeNow">Like <paramref name="wakeLoop"/>, for the first frame of a talkspurt (see <see cref="PacedUntil"/>): the loop sends it at once.</param>
    /// <param name="clock">The media loop's clock, which <see cref="PacedUntil"/> is on; needed with <paramref name="wakeNow"/>.</param>
    /// <param name="buffers">Where the payload buffer comes from, of <paramref name="bufferBytes"/>; by default a buffer of the feed's own.</param>
    public CallerFeed(Action wakeLoop, int capacity = DefaultCapacity, int bufferBytes = DefaultBufferBytes, Action? onDropped = null,
        Action? wakeNow = null, Func<TimeSpan>? clock = null, FeedBufferPool? buffers = null)
    {
        if ((wakeNow is null) != (clock is null))
            throw new ArgumentException("wakeNow needs the loop's clock, and the clock is only for wakeNow");
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, MaxPayload);
        if (buffers is not null && buffers.BufferBytes != bufferBytes)
            throw new ArgumentException($"the pool's buffers hold {buffers.BufferBytes} bytes, the feed wants {bufferBytes}", nameof(buffers));
        _wakeLoop = wakeLoop;
        _wakeNow = wakeNow;
        _clock = clock;
        _onDropped = onDropped;
        _buffers = buffers ?? new FeedBufferPool(bufferBytes, keepAtMost: 0);
        _offsets = new int[capacity];
        _lengths = new int[capacity];
        _sequences = new ushort[capacity];
        _timestamps = new uint[capacity];
        _markers = new bool[capacity];
    }

    public int Capacity => _lengths.Length;

    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>Frames dropped because the feed was full (oldest first) or too large.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The call must end now (a notice, if one is playing, is cut short).</summary>
    public bool EndRequested => _endReason is not null;
    /// <summary>Why the call ends: the end request's reason, else the notice's.</summary>
    public string? EndReason => _endReason ?? _noticeReason;
    /// <summary>The notice to play, then end the call; null until <see cref="PlayNoticeThenEnd"/>.</summary>
    public NoticeAudio? Notice => _notice;

    /// <summary>Queues a frame for the caller; any thread. An empty payload is no Opus frame (one has at least its TOC byte) and is ignored.</summary>
    public void Enqueue(ushort sequence, uint rtpTimestamp, bool marker, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
            return;
        if (payload.Length > MaxPayload)
        {
            Interlocked.Increment(ref _dropped);
            _onDropped?.Invoke();
            return;
        }
        bool wasEmpty;
        lock (_gate)
        {
            if (_released)
                return;
            _payloads ??= _buffers.Rent();
            wasEmpty = _count == 0;
            int offset;
            while ((offset = FreeOffset(payload.Length)) < 0)
            {
                _head = (_head + 1) % Capacity;
                _count--;
                Interlocked.Increment(ref _dropped);
                _onDropped?.Invoke();
            }
            int slot = (_head + _count) % Capacity;
            payload.CopyTo(_payloads.AsSpan(offset));
            _offsets[slot] = offset;
            _lengths[slot] = payload.Length;
            _sequences[slot] = sequence;
            _timestamps[slot] = rtpTimestamp;
            _markers[slot] = marker;
            _write = offset + payload.Length;
            _count++;
        }
        if (!wasEmpty)
            return;
        // A frame after a pause starts a talkspurt: it goes out at once. One within a paced stream waits for its slot.
        if (_wakeNow is not null && _clock!().Ticks > Volatile.Read(ref _pacedUntil))
            _wakeNow();
        else
            _wakeLoop();
    }

    /// <summary>
    /// Until when the media loop keeps this feed's frames on its pacing grid (the next frame's slot plus the slack after
    /// which pacing restarts); a frame that arrives later starts a talkspurt. Media loop only.
    /// </summary>
    public void PacedUntil(TimeSpan until) => Volatile.Write(ref _pacedUntil, until.Ticks);

    /// <summary>Takes the oldest frame into <paramref name="payload"/> (at least <see cref="MaxPayload"/> bytes); media loop only.</summary>
    public bool TryDequeue(Span<byte> payload, out int length, out ushort sequence, out uint rtpTimestamp, out bool marker)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                length = 0;
                sequence = 0;
                rtpTimestamp = 0;
                marker = false;
                return false;
            }
            int slot = _head;
            length = _lengths[slot];
            _payloads!.AsSpan(_offsets[slot], length).CopyTo(payload);
            sequence = _sequences[slot];
            rtpTimestamp = _timestamps[slot];
            marker = _markers[slot];
            _head = (_head + 1) % Capacity;
            _count--;
            return true;
        }
    }

    /// <summary>
    /// Where a payload of <paramref name="length"/> bytes fits after the newest frame (at <see cref="_write"/>, or from the
    /// start once the end of the buffer is reached), or -1 when the feed must first drop its oldest frame. Under the lock.
    /// </summary>
    private int FreeOffset(int length)
    {
        if (_count == 0)
        {
            _write = 0;
            return 0;
        }
        if (_count == Capacity)
            return -1;
        // Every payload has a byte, so the newest frame ends after the oldest one starts unless the payloads wrapped.
        int read = _offsets[_head];
        if (_write > read)
            return length <= _buffers.BufferBytes - _write ? _write : length <= read ? 0 : -1;
        // Wrapped: the free bytes lie between the newest frame's end and the oldest frame's start.
        return length <= read - _write ? _write : -1;
    }

    /// <summary>
    /// Asks the media loop to play <paramref name="notice"/> to the caller in place of the handler's frames (queued ones are
    /// dropped), then end the call with <paramref name="reason"/>; any thread. Only the first request counts.
    /// </summary>
    public void PlayNoticeThenEnd(NoticeAudio notice, string reason)
    {
        lock (_gate)
        {
            if (_notice is not null)
                return;
            _noticeReason = reason;
            _notice = notice;
        }
        _wakeLoop();
    }

    /// <summary>
    /// The call has ended: queued frames are dropped and the payload buffer goes back to its pool; frames that come
    /// later are ignored. Media loop (the only reader), once the call is over.
    /// </summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_released)
                return;
            _released = true;
            _count = 0;
            if (_payloads is not null)
                _buffers.Return(_payloads);
            _payloads = null;
        }
    }

    /// <summary>Asks the media loop to end the call (e.g. its transceiver closed the session); any thread.</summary>
    public void RequestEnd(string reason)
    {
        _endReason ??= reason;
        _wakeLoop();
    }
}
