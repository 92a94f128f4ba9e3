using EdgeVoice.Tunnel.Pki;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeVoice.Tunnel.Quic;

/// <summary>What one side of the tunnel needs: who it is, how it proves it, whom it accepts, and its timers.</summary>
public sealed class TunnelOptions
{
    public required TunnelCredentials Credentials { get; init; }
    public required NodeIdentity Self { get; init; }
    public required PeerCheck PeerCheck { get; init; }
    /// <summary>Sessions this node takes (transceiver); 0 for a relay.</summary>
    public uint Capacity { get; init; }
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Received datagrams buffered until the application takes them; more are dropped and counted.</summary>
    public int ReceiveQueueFrames { get; init; } = 1024; // × 1,400 bytes preallocated per connection
    /// <summary>Wall clock for certificate validity only; protocol timers use the monotonic time passed in.</summary>
    public TimeProvider WallClock { get; init; } = TimeProvider.System;
    public ILogger Logger { get; init; } = NullLogger.Instance;
    /// <summary>The ALPN offered and required. Always edgevoice/1; tests change it to show a mismatch is refused.</summary>
    internal string Alpn { get; init; } = "edgevoice/1";
}
