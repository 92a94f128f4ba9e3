namespace EdgeVoice.WebRtc.Rtp;

/// <summary>
/// Reception statistics of one RTP source, to fill its report block: sequence validation and
/// extended highest sequence (RFC 3550 A.1), loss and fraction lost (A.3), interarrival jitter (A.8).
/// Arrival times are passed in, in the source's RTP clock units.
/// </summary>
public sealed class RtpReceiveStatistics
{
    private const int MaxDropout = 3000;
    private const int MaxMisorder = 100;
    private const int SequenceModulus = 1 << 16;

    private readonly int _minSequential;
    private ushort _maxSequence;
    private uint _cycles;       // count of sequence wraps, times 2^16
    private uint _baseSequence;
    private uint _badSequence;
    private int _probation;
    private uint _received;
    private uint _expectedPrior;
    private uint _receivedPrior;
    private bool _started;
    private bool _hasTransit;
    private int _transit;
    private uint _jitterQ4;     // jitter × 16, as A.8 keeps it

    /// <param name="minSequential">Packets in sequence before a new source counts (A.1 uses 2; 1 trusts the first, e.g. after SRTP authentication).</param>
    public RtpReceiveStatistics(int minSequential = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minSequential, 1);
        _minSequential = minSequential;
    }

    /// <summary>Packets counted as received (duplicates included, as in A.1).</summary>
    public uint Received => _received;

    /// <summary>Cycles × 2^16 + highest sequence number seen.</summary>
    public uint ExtendedHighestSequence => _cycles + _maxSequence;

    public long Expected => _started && _probation == 0 ? (long)ExtendedHighestSequence - _baseSequence + 1 : 0;

    /// <summary>Cumulative packets lost, clamped to the 24-bit signed field of a report block.</summary>
    public int CumulativeLost => (int)Math.Clamp(Expected - _received, -0x80_0000, 0x7F_FFFF);

    /// <summary>Interarrival jitter in RTP clock units.</summary>
    public uint Jitter => _jitterQ4 >> 4;

    /// <summary>Takes in one packet; false when A.1 does not count it (probation, or a jump being confirmed).</summary>
    public bool Update(ushort sequence, uint rtpTimestamp, uint arrival)
    {
        UpdateJitter(rtpTimestamp, arrival);
        if (!_started)
        {
            _started = true;
            Restart(sequence);
            _maxSequence = (ushort)(sequence - 1);
            _probation = _minSequential;
        }
        ushort delta = (ushort)(sequence - _maxSequence);
        if (_probation > 0)
        {
            if (sequence == (ushort)(_maxSequence + 1))
            {
                _probation--;
                _maxSequence = sequence;
                if (_probation == 0)
                {
                    Restart(sequence);
                    _received++;
                    return true;
                }
            }
            else
            {
                _probation = _minSequential - 1;
                _maxSequence = sequence;
            }
            return false;
        }
        if (delta < MaxDropout)
        {
            if (sequence < _maxSequence)
                _cycles += SequenceModulus;
            _maxSequence = sequence;
        }
        else if (delta <= SequenceModulus - MaxMisorder)
        {
            // A large jump: believe it only when the next packet follows it (the sender restarted).
            if (sequence != _badSequence)
            {
                _badSequence = (uint)((sequence + 1) & (SequenceModulus - 1));
                return false;
            }
            Restart(sequence);
        }
        // else: a duplicate or reordered packet, counted without moving the highest sequence
        _received++;
        return true;
    }

    /// <summary>
    /// A report block for this source (A.3), taking the fraction lost since the previous block;
    /// <paramref name="lastSenderReport"/> and <paramref name="delaySinceLastSenderReport"/> come from the source's last SR.
    /// </summary>
    public RtcpReportBlock CreateReportBlock(uint ssrc, uint lastSenderReport = 0, uint delaySinceLastSenderReport = 0)
    {
        long expected = Expected;
        long expectedInterval = expected - _expectedPrior;
        long receivedInterval = (long)_received - _receivedPrior;
        _expectedPrior = (uint)expected;
        _receivedPrior = _received;
        long lostInterval = expectedInterval - receivedInterval;
        byte fraction = expectedInterval == 0 || lostInterval <= 0 ? (byte)0 : (byte)((lostInterval << 8) / expectedInterval);
        return new RtcpReportBlock(ssrc, fraction, CumulativeLost, ExtendedHighestSequence, Jitter, lastSenderReport, delaySinceLastSenderReport);
    }

    private void Restart(ushort sequence)
    {
        _baseSequence = sequence;
        _maxSequence = sequence;
        _badSequence = SequenceModulus + 1;
        _cycles = 0;
        _received = 0;
        _receivedPrior = 0;
        _expectedPrior = 0;
    }

    private void UpdateJitter(uint rtpTimestamp, uint arrival)
    {
        int transit = (int)(arrival - rtpTimestamp);
        if (_hasTransit)
        {
            int d = Math.Abs(transit - _transit);
            _jitterQ4 = (uint)(_jitterQ4 + d - ((_jitterQ4 + 8) >> 4));
        }
        _transit = transit;
        _hasTransit = true;
    }
}

/// <summary>What an SR's sender info counts (RFC 3550 §6.4.1): packets and payload octets sent, modulo 2^32.</summary>
public sealed class RtpSendStatistics
{
    public uint PacketCount { get; private set; }
    public uint OctetCount { get; private set; }

    /// <summary>Counts one packet sent with <paramref name="payloadLength"/> payload bytes (header and padding excluded).</summary>
    public void OnSent(int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        PacketCount++;
        OctetCount += (uint)payloadLength;
    }
}
