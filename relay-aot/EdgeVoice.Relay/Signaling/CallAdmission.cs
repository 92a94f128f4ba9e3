using System.Net;
using System.Security.Cryptography;
using EdgeVoice.Relay.Media;
using EdgeVoice.Relay.Sessions;
using EdgeVoice.WebRtc.Dtls;
using EdgeVoice.WebRtc.Ice;
using EdgeVoice.WebRtc.Sdp;
using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.Relay.Signaling;

public enum AdmissionStatus
{
    Created,
    BadOffer,
    Full,
}

public readonly record struct Admission(AdmissionStatus Status, string? CallId, string? Answer, string? Reason);

/// <summary>Turns an SDP offer into a call: a routing-token ufrag, ICE-lite and DTLS state, and the SDP answer.</summary>
internal sealed class CallAdmission
{
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private static readonly SrtpProfile[] ProfilePreference = [SrtpProfile.AeadAes128Gcm, SrtpProfile.Aes128CmHmacSha1_80];
    /// <summary>
    /// Ended calls' feed buffers kept for new ones, at most 128 (8 MiB): enough for calls ending while others start;
    /// after a peak of calls, the rest go to the GC.
    /// </summary>
    private const int FeedBuffersKept = 128;

    private readonly SessionTable _table;
    private readonly MediaLoop _loop;
    private readonly DtlsCertificate _certificate;
    private readonly ISessionHandlerFactory _handlers;
    private readonly MediaSettings _settings;
    private readonly ILogger? _logger;
    private readonly FeedBufferPool _feedBuffers = new(CallerFeed.DefaultBufferBytes, FeedBuffersKept);

    public CallAdmission(SessionTable table, MediaLoop loop, DtlsCertificate certificate, ISessionHandlerFactory handlers, MediaSettings settings, ILogger? logger = null)
    {
        _logger = logger;
        _table = table;
        _loop = loop;
        _certificate = certificate;
        _handlers = handlers;
        _settings = settings;
    }

    public Admission Admit(string offerSdp, TimeSpan? maxDuration = null)
    {
        if (!SdpOffer.TryParse(offerSdp, out var offer, out _, out string reason))
            return new Admission(AdmissionStatus.BadOffer, null, null, reason);
        if (_table.Connecting >= _settings.MaxConnecting)
            return new Admission(AdmissionStatus.Full, null, null, $"{_settings.MaxConnecting} calls are connecting already (limits.max_handshakes_in_flight); retry in a moment");
        if (!_table.TryReserve())
            return new Admission(AdmissionStatus.Full, null, null, "the relay is at its session limit");
        try
        {
            var clientFingerprint = offer.Fingerprint;
            for (int attempt = 0; attempt < 4; attempt++)
            {
                ulong id = RandomId();
                string callId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                string ufrag = UfragToken.Mint(id, _settings.UfragSecret);
                string password = RandomIceString(24);
                var now = _loop.Now;
                var ice = new IceLiteAgent(ufrag, password, offer.IceUfrag, now, _settings.Ice);
                var dtls = new DtlsServer(_certificate, clientFingerprint, ProfilePreference, _settings.HandshakeTimeout, _loop.WakeTimers);
                var feed = new CallerFeed(_loop.WakeTimers, onDropped: _loop.Counters.CountFeedDrop, wakeNow: _loop.WakeNow, clock: () => _loop.Now, buffers: _feedBuffers);
                if (!_handlers.TryCreate(new CallInfo(id, callId, offer.Opus.PayloadType, feed), out var handler, out string? refusal))
                {
                    dtls.Close();
                    _table.Release();
                    return new Admission(AdmissionStatus.Full, null, null, refusal);
                }
                var session = new CallSession(id, callId, ufrag, password, ice, dtls, offer.Opus.PayloadType,
                    handler, feed, _table, _loop, _loop.Counters, now, maxDuration, _logger);
                string answer = SdpAnswer.Build(offer, new SdpAnswerParameters
                {
                    IceUfrag = ufrag,
                    IcePwd = password,
                    Fingerprint = _certificate.Fingerprint,
                    PublicAddress = _settings.PublicAddress,
                    PublicPort = _settings.PublicPort,
                    Ssrc = session.OutboundSsrc,
                    Cname = session.Cname,
                    SessionId = id,
                });
                if (!_table.TryAdd(session))
                {
                    session.Discard();
                    continue;
                }
                // No wake: the loop takes new calls in at the start of every turn, and the caller's first STUN
                // request wakes it (an idle loop also turns once a second, which bounds a silent call's timers).
                return new Admission(AdmissionStatus.Created, callId, answer, null);
            }
            _table.Release();
            return new Admission(AdmissionStatus.Full, null, null, "could not allocate a session id");
        }
        catch
        {
            _table.Release();
            throw;
        }
    }

    public bool HangUp(string callId)
    {
        if (!_table.TryDetachCallId(callId, out var session))
            return false;
        _loop.HangUp(session);
        return true;
    }

    private static ulong RandomId()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private static string RandomIceString(int length) => RandomNumberGenerator.GetString(IceChars, length);
}

/// <summary>What admission needs from the configuration, resolved once at start-up.</summary>
internal sealed record MediaSettings(
    byte[] UfragSecret,
    IPAddress PublicAddress,
    int PublicPort,
    IceLiteOptions Ice,
    TimeSpan HandshakeTimeout,
    int MaxConnecting);
