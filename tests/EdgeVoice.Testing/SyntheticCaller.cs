using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using EdgeVoice.WebRtc;
using EdgeVoice.WebRtc.Dtls;
using EdgeVoice.WebRtc.Rtp;
using EdgeVoice.WebRtc.Sdp;
using EdgeVoice.WebRtc.Srtp;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.Testing;

/// <summary>
/// A WebRTC caller without a browser, for tests and benchmarks: posts an offer, runs ICE as a browser's full agent would
/// (controlling, USE-CANDIDATE, and answering the relay's own connectivity checks, which pion's ICE-lite agent sends and
/// waits for before it nominates), DTLS (client) and SRTP, then sends and receives Opus-sized RTP. Its SSRC is declared
/// in the offer (pion routes RTP to a track by the declared SSRC). One caller serves EdgeVoice's relay and pion alike.
/// </summary>
public sealed class SyntheticCaller : IEchoPeer, IDisposable
{
    public const int OpusPayloadType = 111;
    private static readonly Lazy<DtlsCertificate> SharedCertificate = new(() => DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), "synthetic caller"));
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan IceTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly DtlsClient _dtls;
    private readonly Stopwatch _clock;
    private readonly IceCredentials _ice;
    private readonly SrtpContext _outbound;
    private readonly SrtpContext _inbound;
    private readonly byte[] _buffer = new byte[2048];
    private readonly byte[] _sendBuffer = new byte[2048];
    private readonly byte[] _rtcpScratch = new byte[2048];
    private readonly uint _ssrc;
    private ushort _sequence;
    private uint _timestamp;

    private SyntheticCaller(Socket socket, DtlsClient dtls, Stopwatch clock, IceCredentials ice, SrtpContext outbound, SrtpContext inbound,
        string location, SrtpProfile profile, TimeSpan setupTime, uint ssrc, int checksAnswered)
    {
        _socket = socket;
        _dtls = dtls;
        _clock = clock;
        _ice = ice;
        _outbound = outbound;
        _inbound = inbound;
        Location = location;
        Profile = profile;
        SetupTime = setupTime;
        _ssrc = ssrc;
        RelayChecksAnswered = checksAnswered;
    }

    /// <summary>The call's URL path (<c>/v1/calls/{id}</c>) for DELETE.</summary>
    public string Location { get; }
    public SrtpProfile Profile { get; }
    /// <summary>POST sent → DTLS done and SRTP keys known (the caller's view of setup).</summary>
    public TimeSpan SetupTime { get; }
    public Socket Socket => _socket;
    /// <summary>The SSRC of this caller's RTP, as its offer declared it.</summary>
    public uint Ssrc => _ssrc;
    /// <summary>The relay's ICE ufrag from the answer (its routing token).</summary>
    public string RelayUfrag => _ice.RemoteUfrag;
    /// <summary>Datagrams from the relay that were neither STUN, DTLS, SRTCP nor SRTP this caller could decrypt.</summary>
    public int UnreadableDatagrams { get; private set; }
    /// <summary>Connectivity checks from the relay this caller answered (an ICE-lite relay sends none; pion does).</summary>
    public int RelayChecksAnswered { get; private set; }
    /// <summary>Sends the socket refused (e.g. a full buffer on a non-blocking socket under load).</summary>
    public int SendErrors { get; private set; }

    /// <summary>Posts an offer and completes ICE and DTLS; throws with the reason when any step fails.</summary>
    /// <param name="profiles">SRTP profiles to offer in DTLS use_srtp (default: all the caller supports).</param>
    /// <param name="offeredFingerprint">An SDP fingerprint to offer instead of this caller's certificate's (tests of a mismatch).</param>
    /// <param name="ssrc">The SSRC to send and declare in the offer; by default a random one per caller.</param>
    public static async Task<SyntheticCaller> ConnectAsync(HttpClient http, Uri relay, string bearer, CancellationToken cancel,
        IReadOnlyList<SrtpProfile>? profiles = null, string? offeredFingerprint = null, uint? ssrc = null)
    {
        var certificate = SharedCertificate.Value;
        string ufrag = RandomIceString(8);
        string password = RandomIceString(24);
        uint ourSsrc = ssrc ?? (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
        string offer = BuildOffer(ufrag, password, offeredFingerprint ?? certificate.SdpFingerprint, ssrc: ourSsrc);
        var started = Stopwatch.GetTimestamp();

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(relay, "/v1/calls"))
        {
            Content = new StringContent(offer, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request, cancel);
        string body = await response.Content.ReadAsStringAsync(cancel);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /v1/calls answered {(int)response.StatusCode}: {body.Trim()}");
        string location = response.Headers.Location?.ToString() ?? throw new InvalidOperationException("no Location header");
        if (!SdpSessionDescription.TryParse(body, out var answer, out _, out string reason))
            throw new InvalidOperationException($"answer does not parse: {reason}");
        var audio = answer.Media[0];
        var ice = new IceCredentials(
            audio.IceUfrag ?? answer.IceUfrag ?? throw new InvalidOperationException("answer has no ice-ufrag"),
            audio.IcePwd ?? answer.IcePwd ?? throw new InvalidOperationException("answer has no ice-pwd"),
            ufrag, password);
        var fingerprintText = (audio.Fingerprints.Count > 0 ? audio.Fingerprints[0] : answer.Fingerprints[0]).ToString();
        if (!DtlsFingerprint.TryParse(fingerprintText, out var serverFingerprint, out _))
            throw new InvalidOperationException($"answer fingerprint does not parse: {fingerprintText}");
        var candidate = audio.Candidates.FirstOrDefault(c => c.Address.Contains('.')) ?? audio.Candidates.FirstOrDefault()
            ?? throw new InvalidOperationException("answer has no candidate");
        var remote = new IPEndPoint(IPAddress.Parse(candidate.Address), candidate.Port);

        var socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
            socket.Connect(remote);
            var clock = Stopwatch.StartNew();
            var dtls = new DtlsClient(certificate, serverFingerprint, profiles, TimeSpan.FromSeconds(10));
            // Polls the socket synchronously: no receive is left pending after the handshake to steal the first media packet.
            var (keys, answered) = await Task.Run(() => Handshake(socket, ice, dtls, clock, cancel), cancel);
            return new SyntheticCaller(socket, dtls, clock, ice,
                new SrtpContext(keys.Profile, keys.ClientKey, keys.ClientSalt),
                new SrtpContext(keys.Profile, keys.ServerKey, keys.ServerSalt),
                location, keys.Profile, Stopwatch.GetElapsedTime(started), ourSsrc, answered);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one 20 ms Opus frame (any bytes: the relay does not decode) as SRTP.</summary>
    public void SendFrame(ReadOnlySpan<byte> payload) => SendFrame(payload, _socket);

    /// <summary>Sends the next frame from <paramref name="via"/>: another local port of the caller's (<see cref="OpenOtherPort"/>).</summary>
    public void SendFrame(ReadOnlySpan<byte> payload, Socket via)
    {
        int length = ProtectFrame(payload, _sendBuffer);
        Send(_sendBuffer.AsSpan(0, length), via);
    }

    /// <summary>A second socket of this caller's on another local port, connected to the relay: a new candidate address.</summary>
    public Socket OpenOtherPort()
    {
        var remote = (IPEndPoint)_socket.RemoteEndPoint!;
        var other = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        other.Bind(new IPEndPoint(((IPEndPoint)_socket.LocalEndPoint!).Address, 0));
        other.Connect(remote);
        return other;
    }

    /// <summary>Writes the next frame's SRTP packet into <paramref name="packet"/> without sending it (for replay tests); returns its length.</summary>
    public int ProtectFrame(ReadOnlySpan<byte> payload, Span<byte> packet)
    {
        var header = new RtpHeader(OpusPayloadType, _sequence++, _timestamp, _ssrc);
        _timestamp += 960;
        int length = header.WriteTo(packet);
        payload.CopyTo(packet[length..]);
        length += payload.Length;
        if (!_outbound.TryProtectRtp(packet, length, out int protectedLength, out var error))
            throw new InvalidOperationException($"SRTP protect failed: {error}");
        return protectedLength;
    }

    /// <summary>Sends an ICE consent check (RFC 7675) on the selected pair; the relay's answer is skipped by the receive methods.</summary>
    public void SendConsentCheck() => SendConsentCheck(_socket);

    /// <summary>Sends a connectivity check (no USE-CANDIDATE) from <paramref name="via"/>: another local port of the caller's.</summary>
    public void SendConsentCheck(Socket via)
    {
        Span<byte> transaction = stackalloc byte[12];
        RandomNumberGenerator.Fill(transaction);
        int length = WriteCheck(_sendBuffer, _ice, transaction, useCandidate: false);
        Send(_sendBuffer.AsSpan(0, length), via);
    }

    /// <summary>Sends raw bytes on the caller's 5-tuple (for malformed-input tests).</summary>
    public void SendRaw(ReadOnlySpan<byte> datagram) => Send(datagram);

    private void Send(ReadOnlySpan<byte> datagram) => Send(datagram, _socket);

    private void Send(ReadOnlySpan<byte> datagram, Socket via)
    {
        // Never throws: a load generator's non-blocking socket may be full for a moment; the frame is then lost, as on a network.
        via.Send(datagram, SocketFlags.None, out SocketError error);
        if (error != SocketError.Success)
            SendErrors++;
    }

    /// <summary>Receives RTP from the relay until one Opus payload arrives or the timeout passes (STUN/RTCP skipped).</summary>
    public bool TryReceiveFrame(TimeSpan timeout, Span<byte> payload, out int payloadLength, out RtpHeader header)
    {
        payloadLength = 0;
        header = default;
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            long left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0)
                return false;
            if (!_socket.Poll((int)Math.Max(1, left * 1_000_000 / Stopwatch.Frequency), SelectMode.SelectRead))
                return false;
            int length = _socket.Receive(_buffer);
            if (TryOpenRtp(_buffer.AsSpan(), length, payload, out payloadLength, out header))
                return true;
            Tally(_buffer.AsSpan(0, length));
        }
    }

    /// <summary>
    /// Reads what the relay sends until it has said goodbye (an SRTCP BYE and a DTLS close_notify) or the timeout passes;
    /// frames still in flight are dropped.
    /// </summary>
    /// <param name="onFrame">Given each Opus frame that arrives meanwhile (else they are dropped).</param>
    public RelayGoodbye WaitForGoodbye(TimeSpan timeout, ReceivedFrame? onFrame = null)
    {
        bool bye = false, alert = false, closed = false;
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        Span<byte> ignored = stackalloc byte[1500];
        while (!(bye && closed) && Stopwatch.GetTimestamp() < deadline)
        {
            while (_dtls.TryPollEvent(out var e))
                closed |= e is DtlsEvent.Closed;
            if (!_socket.Poll(10_000, SelectMode.SelectRead))
                continue;
            int length = _socket.Receive(_buffer);
            var datagram = _buffer.AsSpan(0, length);
            switch (PacketClassifier.Classify(datagram))
            {
                case PacketKind.Rtcp:
                    bye |= IsGoodbye(_buffer, length);
                    break;
                case PacketKind.Dtls:
                    // DTLS 1.2 record headers stay in the clear: content type 21 is an alert.
                    alert |= datagram[0] == 21;
                    _dtls.HandleInput(datagram, _clock.Elapsed);
                    break;
                case PacketKind.Rtp:
                    if (!TryOpenRtp(_buffer, length, ignored, out int payloadLength, out var header))
                        UnreadableDatagrams++;
                    else
                        onFrame?.Invoke(header, ignored[..payloadLength]);
                    break;
                case PacketKind.Stun when TryAnswerCheck(_socket, _ice, datagram, _sendBuffer):
                    RelayChecksAnswered++;
                    break;
                default:
                    Tally(datagram);
                    break;
            }
        }
        while (_dtls.TryPollEvent(out var e))
            closed |= e is DtlsEvent.Closed;
        return new RelayGoodbye(bye, alert, closed);
    }

    /// <summary>
    /// Decrypts one datagram from the relay if it is SRTP for the caller; answers it if it is the relay's connectivity
    /// check; false for anything but RTP.
    /// </summary>
    public bool TryOpenRtp(Span<byte> datagram, int length, Span<byte> payload, out int payloadLength, out RtpHeader header)
    {
        payloadLength = 0;
        header = default;
        var kind = PacketClassifier.Classify(datagram[..length]);
        if (kind == PacketKind.Stun && TryAnswerCheck(_socket, _ice, datagram[..length], _sendBuffer))
            RelayChecksAnswered++;
        if (kind != PacketKind.Rtp)
            return false;
        if (!_inbound.TryUnprotectRtp(datagram, length, out int plain, out _))
            return false;
        if (!RtpHeader.TryParse(datagram[..plain], out header, out _))
            return false;
        datagram.Slice(header.HeaderLength, header.PayloadLength).CopyTo(payload);
        payloadLength = header.PayloadLength;
        return true;
    }

    bool IEchoPeer.TryOpenEcho(Span<byte> datagram, int length, Span<byte> payload, out int payloadLength) =>
        TryOpenRtp(datagram, length, payload, out payloadLength, out _);

    private bool IsGoodbye(Span<byte> buffer, int length)
    {
        if (!_inbound.TryUnprotectRtcp(buffer, length, out int plain, out _))
        {
            UnreadableDatagrams++;
            return false;
        }
        var reader = new RtcpCompoundReader(buffer[..plain]);
        while (reader.TryReadNext(out var packet, out _))
        {
            if (packet.PacketType == RtcpPacketType.Goodbye)
                return true;
        }
        return false;
    }

    private void Tally(ReadOnlySpan<byte> datagram)
    {
        // STUN was answered (when it was the relay's check) by TryOpenRtp before it came here.
        var kind = PacketClassifier.Classify(datagram);
        if (kind == PacketKind.Rtcp)
        {
            datagram.CopyTo(_rtcpScratch);
            if (!_inbound.TryUnprotectRtcp(_rtcpScratch, datagram.Length, out _, out _))
                UnreadableDatagrams++;
        }
        else if (kind is not (PacketKind.Stun or PacketKind.Dtls))
        {
            UnreadableDatagrams++;
        }
    }

    public async Task HangUpAsync(HttpClient http, Uri relay, string bearer, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, new Uri(relay, Location));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request, cancel);
        if (response.StatusCode != HttpStatusCode.NoContent)
            throw new InvalidOperationException($"DELETE {Location} answered {(int)response.StatusCode}");
    }

    public void Dispose()
    {
        _socket.Dispose();
        _outbound.Dispose();
        _inbound.Dispose();
    }

    /// <summary>An audio-only offer as a browser sends it (Opus, rtcp-mux, BUNDLE), declaring <paramref name="ssrc"/>.</summary>
    public static string BuildOffer(string ufrag, string password, string fingerprint, string setup = "actpass", uint ssrc = 1001) =>
        "v=0\r\n" +
        $"o=- {RandomNumberGenerator.GetInt32(int.MaxValue)} 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0\r\n" +
        "a=msid-semantic: WMS synthetic\r\n" +
        $"m=audio 9 UDP/TLS/RTP/SAVPF {OpusPayloadType}\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=rtcp:9 IN IP4 0.0.0.0\r\n" +
        $"a=ice-ufrag:{ufrag}\r\n" +
        $"a=ice-pwd:{password}\r\n" +
        "a=ice-options:trickle\r\n" +
        $"a=fingerprint:{fingerprint}\r\n" +
        $"a=setup:{setup}\r\n" +
        "a=mid:0\r\n" +
        "a=sendrecv\r\n" +
        "a=msid:synthetic audio\r\n" +
        "a=rtcp-mux\r\n" +
        $"a=rtpmap:{OpusPayloadType} opus/48000/2\r\n" +
        $"a=fmtp:{OpusPayloadType} minptime=10;useinbandfec=1\r\n" +
        $"a=ssrc:{ssrc} cname:synthetic\r\n";

    /// <summary>ICE (checks every 100 ms until answered, the relay's checks answered throughout), then DTLS as client.</summary>
    private static (SrtpKeyingMaterial Keys, int ChecksAnswered) Handshake(Socket socket, IceCredentials ice, DtlsClient dtls, Stopwatch clock,
        CancellationToken cancel)
    {
        byte[] transaction = RandomNumberGenerator.GetBytes(12);
        byte[] check = new byte[512];
        int checkLength = WriteCheck(check, ice, transaction, useCandidate: true);
        byte[] buffer = new byte[2048];
        byte[] scratch = new byte[512];
        bool iceDone = false;
        int answered = 0;
        TimeSpan nextCheck = TimeSpan.Zero;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            TimeSpan now = clock.Elapsed;
            if (!iceDone)
            {
                if (now > IceTimeout)
                    throw new TimeoutException("no STUN binding response from the relay");
                if (now >= nextCheck)
                {
                    socket.Send(check.AsSpan(0, checkLength));
                    nextCheck = now + CheckInterval;
                }
            }
            else
            {
                while (dtls.TryPollTransmit(out var datagram))
                    socket.Send(datagram.Span);
                while (dtls.TryPollEvent(out var e))
                {
                    switch (e)
                    {
                        case DtlsEvent.Connected connected:
                            return (connected.Keys, answered);
                        case DtlsEvent.Failed failed:
                            throw new InvalidOperationException($"DTLS failed: {failed.Reason}: {failed.Detail}");
                        case DtlsEvent.Closed:
                            throw new InvalidOperationException("DTLS closed during the handshake");
                    }
                }
                dtls.HandleTimeout(clock.Elapsed);
            }
            if (!socket.Poll(1000, SelectMode.SelectRead))
                continue;
            int received = socket.Receive(buffer);
            var packet = buffer.AsSpan(0, received);
            switch (PacketClassifier.Classify(packet))
            {
                case PacketKind.Stun:
                    if (TryAnswerCheck(socket, ice, packet, scratch))
                    {
                        answered++;
                        break;
                    }
                    if (iceDone || !StunMessage.TryParse(packet, out var message, out _) || !message.TransactionId.SequenceEqual(transaction))
                        break;
                    if (message.Class != StunClass.SuccessResponse)
                        throw new InvalidOperationException($"binding request answered with error {message.ErrorCode}");
                    if (!message.VerifyIntegrity(Encoding.ASCII.GetBytes(ice.RemotePassword)) || !message.VerifyFingerprint())
                        throw new InvalidOperationException("binding response failed MESSAGE-INTEGRITY or FINGERPRINT");
                    iceDone = true;
                    dtls.Start(clock.Elapsed);
                    break;
                case PacketKind.Dtls when iceDone:
                    dtls.HandleInput(packet, clock.Elapsed);
                    break;
            }
        }
    }

    /// <summary>Answers a binding request from the relay addressed to this caller (USERNAME "ours:theirs", our password).</summary>
    private static bool TryAnswerCheck(Socket socket, IceCredentials ice, ReadOnlySpan<byte> datagram, Span<byte> scratch)
    {
        if (!StunMessage.TryParse(datagram, out var message, out _) || !message.IsBindingRequest)
            return false;
        byte[] key = Encoding.ASCII.GetBytes(ice.LocalPassword);
        if (!message.Username.SequenceEqual(Encoding.ASCII.GetBytes($"{ice.LocalUfrag}:{ice.RemoteUfrag}")) || !message.VerifyIntegrity(key))
            return false;
        var mapped = TransportAddress.FromEndPoint((IPEndPoint)socket.RemoteEndPoint!);
        int length = StunWriter.WriteBindingSuccess(scratch, message.TransactionId, mapped, key);
        socket.Send(scratch[..length], SocketFlags.None, out _);
        return true;
    }

    private static int WriteCheck(Span<byte> destination, IceCredentials ice, ReadOnlySpan<byte> transaction, bool useCandidate) =>
        StunWriter.WriteBindingRequest(destination, transaction, Encoding.ASCII.GetBytes($"{ice.RemoteUfrag}:{ice.LocalUfrag}"),
            priority: 1853824767, tieBreaker: (ulong)RandomNumberGenerator.GetInt32(int.MaxValue), useCandidate,
            Encoding.ASCII.GetBytes(ice.RemotePassword));

    private static string RandomIceString(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", length);

    private sealed record IceCredentials(string RemoteUfrag, string RemotePassword, string LocalUfrag, string LocalPassword);
}

/// <summary>What a caller saw of the relay ending its call: an SRTCP BYE, a DTLS alert record, and the decrypted close_notify.</summary>
/// <summary>An Opus frame from the relay, decrypted: its RTP header and payload (valid during the call only).</summary>
public delegate void ReceivedFrame(in RtpHeader header, ReadOnlySpan<byte> payload);

public readonly record struct RelayGoodbye(bool RtcpBye, bool DtlsAlert, bool DtlsClosed);
