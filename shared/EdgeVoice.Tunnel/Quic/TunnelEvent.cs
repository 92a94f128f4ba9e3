using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Pki;

namespace EdgeVoice.Tunnel.Quic;

public enum TunnelEventKind
{
    /// <summary>Handshake done, certificates checked both ways, and the peer's Hello agreed with its certificate.</summary>
    Connected,
    /// <summary>Connected again after a disconnect: the client driver's new connection, or a relay the listener saw before.</summary>
    Reconnected,
    Message,
    Closed,
}

/// <summary>Why a tunnel connection ended (the tunnel's error enum).</summary>
public enum TunnelError
{
    None = 0,
    PeerRefused,
    HandshakeFailed,
    HandshakeTimeout,
    IdleTimeout,
    ClosedByPeer,
    ClosedLocally,
    MalformedControl,
    VersionMismatch,
    IdentityMismatch,
    TransportError,
}

/// <summary>Something the application should know about a tunnel connection.</summary>
public sealed record TunnelEvent(
    TunnelEventKind Kind,
    NodeIdentity? Peer = null,
    ControlMessage? Message = null,
    TunnelError Error = TunnelError.None,
    PeerCheckFailure PeerCheckFailure = PeerCheckFailure.None,
    string Detail = "");

/// <summary>Application error codes in CONNECTION_CLOSE (docs/tunnel-wire-format.md §4).</summary>
public static class TunnelCloseCode
{
    public const ulong Normal = 0x0000;
    public const ulong MalformedControl = 0x0101;
    public const ulong VersionMismatch = 0x0102;
    public const ulong IdentityMismatch = 0x0103;
}
