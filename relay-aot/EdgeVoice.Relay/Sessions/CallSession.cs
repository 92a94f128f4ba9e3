using System.Security.Cryptography;
using EdgeVoice.Relay.Media;
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

    private readonly SessionTable _table;
    private readonly IDatagramSender _sender;
    private readonly ISessionHandler _handler;
    private readonly IceLiteAgent _ice;
    private readonly DtlsServer _dtls;
    private readonly RelayCounters _counters;
    private readonly byte[] _cname;
    private SrtpContext? _inbound;
    private SrtpContext? _outbound;
    private TransportAddress _remote;
    private bool _hasRemote;
    private volatile bool _hangUpRequested;

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

    public CallSession(
        ulong id,
        string callId,
        string localUfrag,
        string localPassword,
        IceLiteAgent ice,
        DtlsServer dtls,
        int opusPayloadType,
        ISessionHandler handler,
        SessionTable table,
        IDatagramSender sender,
        RelayCounters counters,
        TimeSpan createdAt)
    {
        Id = id;
        CallId = callId;
        LocalUfrag = localUfrag;
        LocalPassword = localPassword;
        _ice = ice;
        _dtls = dtls;
        OpusPayloadType = opusPayloadType;
        _handler = handler;
        _table = table;
        _sender = sender;
        _counters = counters;
        CreatedAt = createdAt;
        _outSsrc = RandomNonZero();
        _outSequence = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
        _outTimestampBase = (uint)RandomNumberGenerator.GetInt32(int.MaxValue);
        _cname = System.Text.Encoding.ASCII.GetBytes($"edgevoice-{callId}");
        _nextReport = createdAt + ReportInterval;
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

    /// <summary>Asks the media loop to end the call (from the HTTP thread); the loop calls <see cref="End"/>.</summary>
    public void RequestHangUp() => _hangUpRequested = true;

    public bool HangUpRequested => _hangUpRequested;

    public void HandleStun(ReadOnlySpan<byte> datagram, in StunMessage request, TransportAddress from, TimeSpan now)
    {
        Span<byte> response = stackalloc byte[256];
        var result = _ice.HandleBindingRequest(datagram, request, from, now, response, out int length);
        if (length > 0)
            _sender.Send(response[..length], from);
        if (result == IceCheckResult.Accepted)
            _table.BindAddress(from, this);
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

    public void SendToCaller(in MediaFrame frame)
    {
        if (_outbound is null || !_hasRemote)
            return;
        if (!_sentAny)
        {
            _firstFrameTimestamp = frame.RtpTimestamp;
            _sentAny = true;
        }
        Span<byte> slot = _sender.SendSlot();
        var header = new RtpHeader(
            payloadType: (byte)OpusPayloadType,
            sequenceNumber: _outSequence++,
            timestamp: _outTimestampBase + (frame.RtpTimestamp - _firstFrameTimestamp),
            ssrc: _outSsrc,
            marker: frame.Marker);
        int headerLength = header.WriteTo(slot);
        if (headerLength + frame.Payload.Length + SrtpContext.MaxOverhead > slot.Length)
            return;
        frame.Payload.CopyTo(slot[headerLength..]);
        int length = headerLength + frame.Payload.Length;
        if (!_outbound.TryProtectRtp(slot, length, out int protectedLength, out _))
            return;
        _sender.Commit(protectedLength, _remote);
        _sendStats.Record(frame.Payload.Length, header.Timestamp);
        _counters.RtpSent++;
    }

    public TimeSpan NextTimeout()
    {
        TimeSpan next = _nextReport;
        if (_ice.NextTimeout is { } ice && ice < next)
            next = ice;
        if (_dtls.NextTimeout is { } dtls && dtls < next)
            next = dtls;
        return next;
    }

    public void HandleTimeout(TimeSpan now, DateTimeOffset wallClock)
    {
        if (_hangUpRequested)
        {
            End(CallEndReason.HungUp);
            return;
        }
        _ice.HandleTimeout(now);
        DrainIceEvents(now);
        if (Phase == CallPhase.Ended)
            return;
        _dtls.HandleTimeout(now);
        DrainDtls(now);
        if (Phase == CallPhase.Connected && now >= _nextReport)
        {
            SendReport(now, wallClock, bye: false);
            _nextReport = now + ReportInterval;
        }
    }

    /// <summary>Ends the call: RTCP BYE and DTLS close_notify to the caller, then the handler is told and the table forgets it.</summary>
    public void End(CallEndReason reason)
    {
        if (Phase == CallPhase.Ended)
            return;
        if (Phase == CallPhase.Connected && reason is CallEndReason.HungUp or CallEndReason.RelayStopping)
        {
            SendReport(TimeSpan.Zero, DateTimeOffset.UtcNow, bye: true);
            _dtls.Close();
            DrainDtls(TimeSpan.Zero);
        }
        Phase = CallPhase.Ended;
        EndReason = reason;
        _handler.OnCallEnded(reason);
        _inbound?.Dispose();
        _outbound?.Dispose();
        _table.Remove(this);
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
            switch (e.Kind)
            {
                case DtlsEventKind.Connected:
                    var keys = e.Keys!;
                    _inbound = new SrtpContext(keys.Profile, keys.ClientKey, keys.ClientSalt);
                    _outbound = new SrtpContext(keys.Profile, keys.ServerKey, keys.ServerSalt);
                    Profile = keys.Profile;
                    Phase = CallPhase.Connected;
                    ConnectedAt = now;
                    _counters.CallsConnected++;
                    _handler.OnCallConnected(this);
                    break;
                case DtlsEventKind.Failed:
                    _counters.DtlsFailed++;
                    End(CallEndReason.DtlsFailed);
                    return;
                case DtlsEventKind.Closed:
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
        var writer = new RtcpCompoundWriter(slot);
        if (_sentAny)
            writer.WriteSenderReport(_outSsrc, wallClock, _sendStats, _inSsrc != 0 ? _receiveStats : null, _inSsrc);
        else
            writer.WriteReceiverReport(_outSsrc, _inSsrc != 0 ? _receiveStats : null, _inSsrc);
        writer.WriteSourceDescription(_outSsrc, _cname);
        if (bye)
            writer.WriteBye(_outSsrc);
        if (_outbound.TryProtectRtcp(slot, writer.Length, out int protectedLength, out _))
            _sender.Commit(protectedLength, _remote);
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
