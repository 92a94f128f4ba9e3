namespace EdgeVoice.Tunnel.Quic;

/// <summary>A bounded ring of received datagrams in one preallocated slab: no allocation per datagram.</summary>
internal sealed class ReceivedDatagramQueue(int capacity, int slotSize)
{
    private readonly byte[] _slab = new byte[capacity * slotSize];
    private readonly int[] _lengths = new int[capacity];
    private int _head;
    private int _count;

    public int Count => _count;

    public bool TryEnqueue(ReadOnlySpan<byte> datagram)
    {
        if (_count == _lengths.Length || datagram.Length > slotSize)
            return false;
        int slot = (_head + _count) % _lengths.Length;
        datagram.CopyTo(_slab.AsSpan(slot * slotSize, slotSize));
        _lengths[slot] = datagram.Length;
        _count++;
        return true;
    }

    /// <summary>Copies the oldest datagram out; false when empty or when <paramref name="destination"/> is too small (then it stays queued).</summary>
    public bool TryDequeue(Span<byte> destination, out int length)
    {
        length = 0;
        if (_count == 0 || destination.Length < _lengths[_head])
            return false;
        length = _lengths[_head];
        _slab.AsSpan(_head * slotSize, length).CopyTo(destination);
        _head = (_head + 1) % _lengths.Length;
        _count--;
        return true;
    }
}
