namespace EdgeVoice.Tunnel.Media;

/// <summary>
/// Counts received, lost, late and duplicate frames of one (session, direction) stream from their
/// 32-bit sequence numbers. A frame that arrives after a gap was counted as lost is moved back from
/// lost to late, so Lost is the frames that never came.
/// </summary>
public sealed class MediaLossCounter
{
    private const int WindowSize = 1024;
    private readonly ulong[] _seen = new ulong[WindowSize / 64];
    private bool _started;
    private uint _highest;

    public long Received { get; private set; }
    public long Lost { get; private set; }
    public long Late { get; private set; }
    public long Duplicates { get; private set; }
    public long Stale { get; private set; }

    public void Record(uint sequence)
    {
        if (!_started)
        {
            _started = true;
            _highest = sequence;
            Mark(sequence);
            Received++;
            return;
        }
        int delta = unchecked((int)(sequence - _highest));
        if (delta > 0)
        {
            // Clear window slots that now represent sequence numbers newer than anything seen.
            int clear = Math.Min(delta, WindowSize);
            for (int i = 1; i <= clear; i++)
                Unmark(_highest + (uint)i);
            Lost += delta - 1;
            _highest = sequence;
            Mark(sequence);
            Received++;
        }
        else if (-delta >= WindowSize)
        {
            Stale++; // older than the window: cannot tell late from duplicate, so it stays counted lost
        }
        else if (IsMarked(sequence))
        {
            Duplicates++;
        }
        else
        {
            Mark(sequence);
            Late++;
            Lost--;
            Received++;
        }
    }

    private void Mark(uint sequence) => _seen[(sequence % WindowSize) / 64] |= 1UL << (int)(sequence % 64);
    private void Unmark(uint sequence) => _seen[(sequence % WindowSize) / 64] &= ~(1UL << (int)(sequence % 64));
    private bool IsMarked(uint sequence) => (_seen[(sequence % WindowSize) / 64] & (1UL << (int)(sequence % 64))) != 0;
}
