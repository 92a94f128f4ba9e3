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
/// A browserless caller that behaves like a browser's full ICE agent towards any relay: besides sending its own checks
/// (controlling, USE-CANDIDATE) it answers the relay's connectivity checks and can send RFC 7675 consent checks.
/// pion's ICE-lite agent pings the caller back and nominates only when that ping is answered, which
/// <see cref="SyntheticCaller"/> does not do; the benchmark uses this caller for both relays so both see the same client.
/// </summary>
public sealed class FullIceCaller : IDisposable
{
    private static readonly Lazy<DtlsCertificate> SharedCertificate = new(() => DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(1), "full-ice caller"));
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly SrtpContext _outbound;
    private readonly SrtpContext _inbound;
    private readonly Credentials _ice;
    private readonly byte[] _buffer = new byte[2048];
    // The SSRC SyntheticCaller.BuildOffer declares (a=ssrc:1001): pion routes RTP to a track by the declared SSRC.
    private const uint Ssrc = 1001;
    private ushort _sequence;
    private uint _timestamp;

    private FullIceCaller(Socket socket, SrtpContext outbound, SrtpContext inbound, Credentials ice, string location, SrtpProfile profile, TimeSpan setupTime)
    {
        _socket = socket;
        _outbound = outbound;
        _inbound = inbound;
        _ice = ice;
        Location = location;
        Profile = profile;
        SetupTime = setupTime;
    }

    /// <summary>The call's URL path (<c>/v1/calls/{id}</c>) for DELETE.</summary>
    public string Location { get; }
    public SrtpProfile Profile { get; }
    /// <summary>POST sent → DTLS done and SRTP keys known at the caller.</summary>
    public TimeSpan SetupTime { get; }
    public Socket Socket => _socket;
    /// <summary>Connectivity checks from the relay this caller answered.</summary>
    public int ChecksAnswered { get; private set; }

    public static async Task<FullIceCaller> ConnectAsync(HttpClient http, Uri relay, string bearer, CancellationToken cancel)
    {
        var certificate = SharedCertificate.Value;
        string ufrag = RandomIceString(8);
        string password = RandomIceString(24);
        string offer = SyntheticCaller.BuildOffer(ufrag, password, certificate.SdpFingerprint);
        long started = Stopwatch.GetTimestamp();

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(relay, "/v1/calls")) { Content = new StringContent(offer, Encoding.UTF8) };
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
        var ice = new Credentials(
            audio.IceUfrag ?? answer.IceUfrag ?? throw new InvalidOperationException("answer has no ice-ufrag"),
            audio.IcePwd ?? answer.IcePwd ?? throw new InvalidOperationException("answer has no ice-pwd"),
            ufrag, password);
        string fingerprintText = (audio.Fingerprints.Count > 0 ? audio.Fingerprints[0] : answer.Fingerprints[0]).ToString();
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
            var keys = await Task.Run(() => Handshake(socket, ice, certificate, serverFingerprint, cancel), cancel);
            return new FullIceCaller(socket,
                new SrtpContext(keys.Profile, keys.ClientKey, keys.ClientSalt),
                new SrtpContext(keys.Profile, keys.ServerKey, keys.ServerSalt),
                ice, location, keys.Profile, Stopwatch.GetElapsedTime(started));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one 20 ms Opus-sized frame as SRTP.</summary>
    public void SendFrame(ReadOnlySpan<byte> payload)
    {
        Span<byte> packet = _buffer;
        int length = new RtpHeader(SyntheticCaller.OpusPayloadType, _sequence++, _timestamp, Ssrc).WriteTo(packet);
        _timestamp += 960;
        payload.CopyTo(packet[length..]);
        length += payload.Length;
        if (!_outbound.TryProtectRtp(packet, length, out int protectedLength, out var error))
            throw new InvalidOperationException($"SRTP protect failed: {error}");
        _socket.Send(packet[..protectedLength], SocketFlags.None, out _);
    }

    /// <summary>Sends an RFC 7675 consent check (a binding request on the selected pair); the answer is not awaited.</summary>
    public void SendConsentCheck()
    {
        Span<byte> transaction = stackalloc byte[12];
        RandomNumberGenerator.Fill(transaction);
        int length = WriteCheck(_buffer, _ice, transaction, useCandidate: false);
        _socket.Send(_buffer.AsSpan(0, length), SocketFlags.None, out _);
    }

    /// <summary>Decrypts one datagram from the relay if it is SRTP for this caller; answers the relay's checks; false for anything but RTP.</summary>
    public bool TryOpenRtp(Span<byte> datagram, int length, Span<byte> payload, out int payloadLength)
    {
        payloadLength = 0;
        var kind = PacketClassifier.Classify(datagram[..length]);
        if (kind == PacketKind.Stun)
        {
            if (TryAnswerCheck(_socket, _ice, datagram[..length], _buffer))
                ChecksAnswered++;
            return false;
        }
        if (kind != PacketKind.Rtp || !_inbound.TryUnprotectRtp(datagram, length, out int plain, out _))
            return false;
        if (!RtpHeader.TryParse(datagram[..plain], out var header, out _))
            return false;
        datagram.Slice(header.HeaderLength, header.PayloadLength).CopyTo(payload);
        payloadLength = header.PayloadLength;
        return true;
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

    /// <summary>ICE (checks every 100 ms until answered, the relay's checks answered throughout), then DTLS as client.</summary>
    private static SrtpKeyingMaterial Handshake(Socket socket, Credentials ice, DtlsCertificate certificate, DtlsFingerprint serverFingerprint,
        CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var dtls = new DtlsClient(certificate, serverFingerprint, null, TimeSpan.FromSeconds(10));
        byte[] transaction = RandomNumberGenerator.GetBytes(12);
        byte[] check = new byte[512];
        int checkLength = WriteCheck(check, ice, transaction, useCandidate: true);
        byte[] buffer = new byte[2048];
        byte[] scratch = new byte[512];
        bool iceDone = false;
        TimeSpan nextCheck = TimeSpan.Zero;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            TimeSpan now = clock.Elapsed;
            if (!iceDone)
            {
                if (now > TimeSpan.FromSeconds(10))
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
                            return connected.Keys;
                        case DtlsEvent.Failed failed:
                            throw new InvalidOperationException($"DTLS failed: {failed.Reason}: {failed.Detail}");
                        case DtlsEvent.Closed:
                            throw new InvalidOperationException("DTLS closed during the handshake");
                    }
                }
                dtls.HandleTimeout(now);
            }
            if (!socket.Poll(1000, SelectMode.SelectRead))
                continue;
            int received = socket.Receive(buffer);
            var packet = buffer.AsSpan(0, received);
            switch (PacketClassifier.Classify(packet))
            {
                case PacketKind.Stun:
                    if (TryAnswerCheck(socket, ice, packet, scratch) || iceDone)
                        break;
                    if (StunMessage.TryParse(packet, out var message, out _) && message.TransactionId.SequenceEqual(transaction))
                    {
                        if (message.Class != StunClass.SuccessResponse)
                            throw new InvalidOperationException($"binding request answered with error {message.ErrorCode}");
                        if (!message.VerifyIntegrity(Encoding.ASCII.GetBytes(ice.RemotePassword)) || !message.VerifyFingerprint())
                            throw new InvalidOperationException("binding response failed MESSAGE-INTEGRITY or FINGERPRINT");
                        iceDone = true;
                        dtls.Start(clock.Elapsed);
                    }
                    break;
                case PacketKind.Dtls when iceDone:
                    dtls.HandleInput(packet, clock.Elapsed);
                    break;
            }
        }
    }

    /// <summary>Answers a binding request from the relay addressed to this caller (USERNAME "ours:theirs", our password).</summary>
    private static bool TryAnswerCheck(Socket socket, Credentials ice, ReadOnlySpan<byte> datagram, Span<byte> scratch)
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

    private static int WriteCheck(Span<byte> destination, Credentials ice, ReadOnlySpan<byte> transaction, bool useCandidate) =>
        StunWriter.WriteBindingRequest(destination, transaction, Encoding.ASCII.GetBytes($"{ice.RemoteUfrag}:{ice.LocalUfrag}"),
            priority: 1853824767, tieBreaker: 0x5EED_CA11_0000_0001, useCandidate, Encoding.ASCII.GetBytes(ice.RemotePassword));

    private static string RandomIceString(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", length);

    private sealed record Credentials(string RemoteUfrag, string RemotePassword, string LocalUfrag, string LocalPassword);
}
