namespace EdgeVoice.WebRtc.Srtp;

/// <summary>
/// The highest accepted packet index and a bitmap of the <see cref="MaxSize"/> indices behind it
/// (RFC 3711 §3.3.2). Checking never changes it; only <see cref="Accept"/> does, after the tag verified.
/// </summary>
internal struct ReplayWindow
{
    public const int MaxSize = 128;

    private UInt128 _seen; // bit d set: index (Highest - d) was accepted
    public long Highest { readonly get; private set; }
    public readonly bool IsEmpty => _seen == UInt128.Zero;

    public readonly SrtpError Check(long index, int size)
    {
        if (index < 0)
            return SrtpError.TooOld;
        if (IsEmpty || index > Highest)
            return SrtpError.None;
        long behind = Highest - index;
        if (behind >= size)
            return SrtpError.TooOld;
        return ((_seen >> (int)behind) & UInt128.One) != UInt128.Zero ? SrtpError.Replayed : SrtpError.None;
    }

    public void Accept(long index)
    {
        if (IsEmpty)
        {
            Highest = index;
            _seen = UInt128.One;
        }
        else if (index > Highest)
        {
            long ahead = index - Highest;
            _seen = ahead >= MaxSize ? UInt128.One : (_seen << (int)ahead) | UInt128.One;
            Highest = index;
        }
        else
        {
            _seen |= UInt128.One << (int)(Highest - index);
        }
    }
}
