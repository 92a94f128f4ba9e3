using EdgeVoice.WebRtc.Srtp;

namespace EdgeVoice.WebRtc.Dtls;

/// <summary>What a DTLS endpoint reports to its owner, polled with <see cref="DtlsEndpoint.TryPollEvent"/>.</summary>
public abstract record DtlsEvent
{
    private DtlsEvent()
    {
    }

    /// <summary>Handshake done; SRTP keys exported ("EXTRACTOR-dtls_srtp", RFC 5764 §4.2).</summary>
    public sealed record Connected(SrtpKeyingMaterial Keys) : DtlsEvent;

    /// <summary>Handshake or connection failed; the endpoint is finished.</summary>
    public sealed record Failed(DtlsError Reason, string Detail) : DtlsEvent;

    /// <summary>The peer sent close_notify (our close_notify in reply is already queued).</summary>
    public sealed record Closed : DtlsEvent;
}

/// <summary>Where an endpoint is in its life.</summary>
public enum DtlsState
{
    New,
    Handshaking,
    Connected,
    Failed,
    Closed,
}
