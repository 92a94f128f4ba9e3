using System.Security.Cryptography;
using EdgeVoice.Relay.Media;
using EdgeVoice.Relay.Notices;
using EdgeVoice.WebRtc;
using EdgeVoice.WebRtc.Dtls;
using EdgeVoice.WebRtc.Ice;
using EdgeVoice.WebRtc.Rtp;
using EdgeVoice.WebRtc.Srtp;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.Relay.Sessions;

public enum CallPhase
{
    Connecting,
    Connected,
    Ended,
}

/// <summary>
/// One call's media state: ICE-lite, DTLS, SRTP in and out, the outbound RTP stream and RTCP reports.
/// Every method but <see cref="RequestHangUp"/> runs on the media loop; nothing here reads a clock or owns a socket.
/// </summary>
internal sealed class CallSession : ICallerOutput
{
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CloseNotifyLinger = TimeSpan.FromSeconds(1);

    private readonly SessionTable _table;
    private readonly IDatagramSender _sender;
    private readonly ISessionHandler _handler;
    private readonly CallerFeed _feed;
    private readonly byte[] _feedPayload = new byte[CallerFeed.MaxPayload];
    private readonly FeedPacer _feedPacer = new();
    private NoticePlayback? _notice;
    private uint _noticeTimestamp;
    private readonly IceLiteAgent _ice;
    private readonly DtlsServer _dtls;
    private readonly RelayCounters _counters;
    private readonly byte[] _cname;
    private SrtpContext? _inbound;
    private SrtpContext? _outbound;
    private TransportAddress _remote;
    private bool _hasRemote;
    private volatile bool _hangUpRequested;
    private bool _inTable = true;

    // Outbound stream: our own SSRC, sequence and timestamp base, so the handler's timeline never leaks to the caller.
    private readonly uint _outSsrc;
    private ushort _outSequence;
    private readonly uint _outTimestampBase;
    private uint _firstFrameTimestamp;
    private bool _sentAny;
    private readonly RtpSendStatistics _sendStats = new();
    private readonly RtpReceiveStatistics _receiveStats = new();
    private uint _inSsrc;
    private TimeSpan _nextReport;
    private uint _lastSentTimestamp;
    private TimeSpan _lastSentAt;
    private TimeSpan _clockForReports;
    private readonly TimeSpan _endsAt;
    private TimeSpan? _closeStartedAt;
    private readonly ILogger? _logger;

    public CallSession(
        ulong id,
        string callId,
        string localUfrag,
        string localPassword,
        IceLiteAgent ice,
        DtlsServer dtls,
        int opusPayloadType,
        ISessionHandler handler,
        CallerFeed feed,
        SessionTable table,
        IDatagramSender sender,
        RelayCounters counters,
        TimeSpan createdAt,
        TimeSpan? maxDuration = null,
        ILogger? logger = null)
    {
        _logger = logger;
        Id = id;
        CallId = callId;
        LocalUfrag = localUfrag;
        LocalPassword = localPassword;
        _ice = ice;
        _dtls = dtls;
        OpusPayloadType = opusPayloadType;
        _handler = handler;
        _feed = feed;
        _table = table;
        _sender = sender;
        _counters = counters;
        CreatedAt = createdAt;
        _outSsrc = RandomNonZero();
        _outSequence = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
        _outTimestampBase = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
        Cname = $"edgevoice-{callId[..8]}";
        _cname = System.Text.Encoding.ASCII.GetBytes(Cname);
        _nextReport = createdAt + ReportInterval;
        _endsAt = maxDuration is { } limit ? createdAt + limit : TimeSpan.MaxValue;
    }

    public ulong Id { get; }
    public string CallId { get; }
    public string LocalUfrag { get; }
    public string LocalPassword { get; }
    public int OpusPayloadType { get; }
    public TimeSpan CreatedAt { get; }
    public CallPhase Phase { get; private set; } = CallPhase.Connecting;
    public CallEndReason? EndReason { get; private set; }
    public TimeSpan? ConnectedAt { get; private set; }
    public SrtpProfile? Profile { get; private set; }
    public string? FailureDetail { get; private set; }
    public uint OutboundSsrc => _outSsrc;
    public string Cname { get; }

    /// <summary>The media loop's tick: feed frames go out on its grid, so one wake-up sends every call's frames (zero: no grid).</summary>
    public TimeSpan PacingTick { get; set; }

    /// <summary>Asks the media loop to end the call (from the HTTP thread); the loop calls <see cref="End"/>.</summary>
    public void RequestHangUp() => _hangUpRequested = true;

    public bool HangUpRequested => _hangUpRequested;

    public void HandleStun(scoped in StunMessage request, TransportAddress from, TimeSpan now)
    {
        Span<byte> response = stackalloc byte[256];
        var result = _ice.HandleBindingRequest(request, from, now, response, out int length);
        if (length > 0)
            _sender.Send(response[..length], from);
        if (result == IceCheckResult.Accepted)
            _table.BindAddress(from, this);
        else if (result is IceCheckResult.IntegrityMismatch or IceCheckResult.UsernameMismatch or IceCheckResult.MissingFingerprint)
            _counters.StunRejected++;
        DrainIceEvents(now);
    }

    public void HandleDtls(ReadOnlySpan<byte> datagram, TransportAddress from, TimeSpan now)
    {
        if (!_hasRemote)
            Select(from);
        _dtls.HandleInput(datagram, now);
        DrainDtls(now);
    }

    /// <summary>SRTP or SRTCP from the caller, decrypted in place in <paramref name="buffer"/>.</summary>
    public void HandleSrtp(Span<byte> buffer, int length, PacketKind kind, TimeSpan now)
    {
        _clockForReports = now;
        if (_inbound is null)
        {
            _counters.DroppedBeforeKeys++;
            return;
        }
        if (kind == PacketKind.Rtcp)
        {
            if (_inbound.TryUnprotectRtcp(buffer, length, out _, out _))
                _counters.RtcpReceived++;
            else
                _counters.SrtpRejected++;
            return;
        }
        if (!_inbound.TryUnprotectRtp(buffer, length, out int plainLength, out _))
        {
            _counters.SrtpRejected++;
            return;
        }
        ReadOnlySpan<byte> packet = buffer[..plainLength];
        if (!RtpHeader.TryParse(packet, out var header, out _))
        {
            _counters.RtpMalformed++;
            return;
        }
        _counters.RtpReceived++;
        _inSsrc = header.Ssrc;
        _receiveStats.Update(header.SequenceNumber, header.Timestamp, ToRtpClock(now));
        if (header.PayloadType != OpusPayloadType)
            return;
        var frame = new MediaFrame(header.SequenceNumber, header.Timestamp, header.Marker,
            packet.Slice(header.HeaderLength, header.PayloadLength));
        _handler.OnCallerFrame(this, frame);
    }

    /// <summary>Stages of <see cref="PrefetchMedia"/>, run over a whole batch of datagrams one stage at a time.</summary>
    public const int PrefetchStages = 2;

    /// <summary>
    /// Prefetches what handling an RTP packet from the caller and echoing one back reads, one level of references per
    /// stage (the loop prefetched the session object itself); see <see cref="CacheLines"/>.
    /// </summary>
    public void PrefetchMedia(int stage)
    {
        if (stage == 0)
        {
            CacheLines.Prefetch(_inbound, 2);
            CacheLines.Prefetch(_outbound, 2);
            CacheLines.Prefetch(_receiveStats);
            CacheLines.Prefetch(_sendStats);
            return;
        }
        _inbound?.PrefetchRtp();
        _outbound?.PrefetchRtp();
    }

    public void SendToCaller(in MediaFrame frame)
    {
        if (_outbound is null || !_hasRemote || _notice is not null)
            return;
        if (!_sentAny)
        {
            _firstFrameTimestamp = frame.RtpTimestamp;
            _sentAny = true;
        }
        SendRtp(frame.Payload, _outTimestampBase + (frame.RtpTimestamp - _firstFrameTimestamp), frame.Marker);
    }

    /// <summary>Packetizes, protects and sends one Opus frame at <paramref name="timestamp"/> on our outbound timeline.</summary>
    private void SendRtp(ReadOnlySpan<byte> payload, uint timestamp, bool marker)
    {
        if (_outbound is null || !_hasRemote)
            return;
        Span<byte> slot = _sender.SendSlot();
        var header = new RtpHeader(
            payloadType: (byte)OpusPayloadType,
            sequenceNumber: _outSequence++,
            timestamp: timestamp,
            ssrc: _outSsrc,
            marker: marker);
        int headerLength = header.WriteTo(slot);
        if (headerLength + payload.Length + SrtpContext.MaxOverhead > slot.Length)
            return;
        payload.CopyTo(slot[headerLength..]);
        int length = headerLength + payload.Length;
        if (!_outbound.TryProtectRtp(slot, length, out int protectedLength, out _))
            return;
        _sender.Commit(protectedLength, _remote);
        _sendStats.OnSent(payload.Length);
        _sentAny = true;
        _lastSentTimestamp = header.Timestamp;
        _lastSentAt = _clockForReports;
        _counters.RtpSent++;
    }

    public TimeSpan NextTimeout()
    {
        TimeSpan next = _nextReport < _endsAt ? _nextReport : _endsAt;
        if (_feed.EndRequested)
            return TimeSpan.Zero;
        if (Phase == CallPhase.Connected && FeedDue() is { } feed && feed < next)
            next = feed;
        if (_ice.NextTimeout is { } ice && ice < next)
            next = ice;
        if (_dtls.NextTimeout is { } dtls && dtls < next)
            next = dtls;
        return next;
    }

    /// <summary>When the feed next has something to send: the notice's next packet, at once to start a notice, or the next frame.</summary>
    private TimeSpan? FeedDue()
    {
        if (_notice is not null)
            return _notice.NextDue;
        if (_feed.Notice is not null)
            return TimeSpan.Zero;
        if (_feed.Count > 0)
            return _feedPacer.NextDue;
        return null;
    }

    public void HandleTimeout(TimeSpan now, DateTimeOffset wallClock)
    {
        if (_hangUpRequested)
        {
            End(CallEndReason.HungUp);
            return;
        }
        _clockForReports = now;
        if (now >= _endsAt)
        {
            End(CallEndReason.TimeLimit);
            return;
        }
        _ice.HandleTimeout(now);
        DrainIceEvents(now);
        if (Phase == CallPhase.Ended)
            return;
        _dtls.HandleTimeout(now);
        DrainDtls(now);
        if (_feed.EndRequested)
        {
            FailureDetail ??= _feed.EndReason;
            End(CallEndReason.HandlerEnded);
            return;
        }
        if (Phase == CallPhase.Connected && _feed.Notice is not null && PlayNotice(now))
        {
            FailureDetail ??= _feed.EndReason;
            End(CallEndReason.HandlerEnded);
            return;
        }
        if (Phase == CallPhase.Connected && _notice is null)
            SendFeed(now);
        if (Phase == CallPhase.Connected && now >= _nextReport)
        {
            SendReport(now, wallClock, bye: false);
            _nextReport = now + ReportInterval;
        }
    }

    /// <summary>Sends the feed's frames that are due (<see cref="FeedPacer"/>): a talkspurt's first at once, then one per 20 ms on the loop's tick grid.</summary>
    private void SendFeed(TimeSpan now)
    {
        while (_feedPacer.IsDue(now, PacingTick)
            && _feed.TryDequeue(_feedPayload, out int length, out ushort sequence, out uint timestamp, out bool marker))
        {
            SendToCaller(new MediaFrame(sequence, timestamp, marker, _feedPayload.AsSpan(0, length)));
            _feedPacer.Sent(_feed.Count);
            _feed.PacedUntil(_feedPacer.NextDue + FeedPacer.Slack);
        }
    }

    /// <summary>Plays the feed's notice in place of its frames, paced at 20 ms; true once it has played to the end.</summary>
    private bool PlayNotice(TimeSpan now)
    {
        if (_notice is null)
        {
            _notice = new NoticePlayback(_feed.Notice!, now);
            // The notice continues our stream: the next sequence number, and a timestamp as far on as time went since the last frame.
            _noticeTimestamp = _sentAny
                ? _lastSentTimestamp + (uint)Math.Max(NoticeAudio.SamplesPerPacket, (now - _lastSentAt).Ticks / (TimeSpan.TicksPerSecond / 48_000))
                : _outTimestampBase;
        }
        // The handler's frames no longer go out; drop what it queued.
        while (_feed.TryDequeue(_feedPayload, out _, out _, out _, out _)) { }
        while (_notice.TryTake(now, out var packet, out int index))
            SendRtp(packet, _noticeTimestamp + (uint)(index * NoticeAudio.SamplesPerPacket), marker: index == 0);
        return _notice.IsFinished(now);
    }

    /// <summary>Ends the call: RTCP BYE and DTLS close_notify to the caller, then the handler is told and the table forgets it.</summary>
    public void End(CallEndReason reason)
    {
        if (Phase == CallPhase.Ended)
            return;
        bool goodbye = Phase == CallPhase.Connected && reason is CallEndReason.HungUp or CallEndReason.RelayStopping or CallEndReason.TimeLimit or CallEndReason.HandlerEnded;
        // Ended first: nothing drained below may re-enter End or move the phase back.
        LeaveConnecting();
        Phase = CallPhase.Ended;
        EndReason = reason;
        if (goodbye)
        {
            SendReport(_clockForReports, DateTimeOffset.UtcNow, bye: true);
            _dtls.Close();
        }
        else if (_dtls.State is DtlsState.New or DtlsState.Handshaking)
        {
            // Hung up mid-handshake: stop the handshake worker now rather than at BouncyCastle's own deadline.
            _dtls.Close();
        }
        _logger?.LogInformation("call ended trace_id={TraceId} reason={Reason}{Detail}", CallId, reason, FailureDetail is null ? "" : " detail=" + FailureDetail);
        _handler.OnCallEnded(reason);
        _feed.Release();
        _inbound?.Dispose();
        _outbound?.Dispose();
        _table.Remove(this);
        // The DTLS worker writes close_notify a moment later; the loop sends it from the closing list.
        if (goodbye)
            _table.Closing.Add(this);
    }

    /// <summary>Sends what the DTLS worker wrote after <see cref="End"/> (the close_notify); true once sent or given up on.</summary>
    public bool TryFinishClose(TimeSpan now)
    {
        _closeStartedAt ??= now;
        bool sent = false;
        while (_dtls.TryPollTransmit(out var datagram))
        {
            _sender.Send(datagram.Span, _remote);
            sent = true;
        }
        return sent || now - _closeStartedAt >= CloseNotifyLinger;
    }

    /// <summary>Drops a session that never entered the table (its ids collided): stops its DTLS worker.</summary>
    public void Discard()
    {
        _inTable = false;
        Phase = CallPhase.Ended;
        _dtls.Close();
        _handler.OnCallEnded(CallEndReason.RelayStopping);
        _feed.Release();
    }

    private void LeaveConnecting()
    {
        if (Phase == CallPhase.Connecting && _inTable)
            _table.LeftConnecting();
    }

    private void DrainIceEvents(TimeSpan now)
    {
        while (_ice.TryPollEvent(out var e))
        {
            switch (e.Kind)
            {
                case IceEventKind.Connected:
                case IceEventKind.RemoteAddressChanged:
                    Select(e.Remote);
                    _table.BindAddress(e.Remote, this);
                    break;
                case IceEventKind.ConsentExpired:
                    End(CallEndReason.ConsentExpired);
                    return;
                case IceEventKind.ConnectTimedOut:
                    End(CallEndReason.ConnectTimedOut);
                    return;
            }
        }
    }

    private void DrainDtls(TimeSpan now)
    {
        while (_hasRemote && _dtls.TryPollTransmit(out var datagram))
            _sender.Send(datagram.Span, _remote);
        while (_dtls.TryPollEvent(out var e))
        {
            switch (e)
            {
                case DtlsEvent.Connected connected:
                    var keys = connected.Keys;
                    _inbound = new SrtpContext(keys.Profile, keys.ClientKey, keys.ClientSalt);
                    _outbound = new SrtpContext(keys.Profile, keys.ServerKey, keys.ServerSalt);
                    Profile = keys.Profile;
                    LeaveConnecting();
                    Phase = CallPhase.Connected;
                    ConnectedAt = now;
                    _counters.CallsConnected++;
                    _logger?.LogInformation("call connected trace_id={TraceId} srtp={Profile} setup_ms={SetupMs}", CallId, keys.Profile, (long)(now - CreatedAt).TotalMilliseconds);
                    _handler.OnCallConnected(this);
                    break;
                case DtlsEvent.Failed failed:
                    _counters.DtlsFailed++;
                    FailureDetail = $"{failed.Reason}: {failed.Detail}";
                    End(CallEndReason.DtlsFailed);
                    return;
                case DtlsEvent.Closed:
                    End(CallEndReason.DtlsClosed);
                    return;
            }
        }
    }

    private void Select(TransportAddress remote)
    {
        _remote = remote;
        _hasRemote = true;
    }

    private void SendReport(TimeSpan now, DateTimeOffset wallClock, bool bye)
    {
        if (_outbound is null || !_hasRemote)
            return;
        Span<byte> slot = _sender.SendSlot();
        int length;
        Span<RtcpReportBlock> blocks = stackalloc RtcpReportBlock[1];
        int blockCount = 0;
        if (_inSsrc != 0)
            blocks[blockCount++] = _receiveStats.CreateReportBlock(_inSsrc);
        if (_sentAny)
        {
            // The SR pairs wall-clock time with the RTP clock of the last frame sent, advanced by the time since.
            uint rtpNow = _lastSentTimestamp + (uint)((now - _lastSentAt).Ticks / (TimeSpan.TicksPerSecond / 48_000));
            length = RtcpSenderReport.Write(slot, _outSsrc, ToNtp(wallClock), rtpNow, _sendStats.PacketCount, _sendStats.OctetCount,
                blocks[..blockCount]);
        }
        else
        {
            length = RtcpReceiverReport.Write(slot, _outSsrc, blocks[..blockCount]);
        }
        length += RtcpSourceDescription.WriteCname(slot[length..], _outSsrc, _cname);
        if (bye)
        {
            Span<uint> sources = [_outSsrc];
            length += RtcpGoodbye.Write(slot[length..], sources);
        }
        if (_outbound.TryProtectRtcp(slot, length, out int protectedLength, out _))
            _sender.Commit(protectedLength, _remote);
    }

    private static ulong ToNtp(DateTimeOffset time)
    {
        // NTP counts from 1900-01-01; 32.32 fixed point.
        long ticks = time.UtcTicks - new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        ulong seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
        ulong fraction = (ulong)(ticks % TimeSpan.TicksPerSecond) * (1UL << 32) / TimeSpan.TicksPerSecond;
        return seconds << 32 | fraction;
    }

    private static uint ToRtpClock(TimeSpan now) => (uint)(now.Ticks / (TimeSpan.TicksPerSecond / 48_000));

    private static uint RandomNonZero()
    {
        Span<byte> bytes = stackalloc byte[4];
        uint value;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            value = BitConverter.ToUInt32(bytes);
        } while (value == 0);
        return value;
    }
}

/// <summary>Where a session's datagrams go: the media port's batch in the relay, a list in tests.</summary>
internal interface IDatagramSender
{
    Span<byte> SendSlot();
    void Commit(int length, TransportAddress destination);
    void Send(ReadOnlySpan<byte> datagram, TransportAddress destination);
}
