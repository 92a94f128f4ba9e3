using System.Net;
using System.Net.Sockets;

namespace EdgeVoice.Testing;

/// <summary>One end of an echo load: sends 20 ms frames and recognises its own frames coming back.</summary>
public interface IEchoPeer
{
    Socket Socket { get; }
    void SendFrame(ReadOnlySpan<byte> payload);
    /// <summary>Keeps the path alive where it needs it (ICE consent for a WebRTC caller); nothing for a bare socket.</summary>
    void SendConsentCheck();
    /// <summary>The payload of one received datagram if it is an echoed frame; false for anything else.</summary>
    bool TryOpenEcho(Span<byte> datagram, int length, Span<byte> payload, out int payloadLength);
}

/// <summary>
/// The baseline's caller: a bare UDP socket that sends each frame as a datagram of the size an SRTP packet would have
/// (12-byte RTP header + payload + 16-byte tag, all zero but the payload), so a bare echo server carries the same bytes.
/// </summary>
public sealed class PlainUdpPeer : IEchoPeer, IDisposable
{
    private const int HeaderBytes = 12;
    private const int TagBytes = 16;
    private readonly byte[] _buffer = new byte[2048];

    public PlainUdpPeer(IPEndPoint server)
    {
        Socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        Socket.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
        Socket.Connect(server);
    }

    public Socket Socket { get; }
    public int SendErrors { get; private set; }

    public void SendFrame(ReadOnlySpan<byte> payload)
    {
        payload.CopyTo(_buffer.AsSpan(HeaderBytes));
        Socket.Send(_buffer.AsSpan(0, HeaderBytes + payload.Length + TagBytes), SocketFlags.None, out SocketError error);
        if (error != SocketError.Success)
            SendErrors++;
    }

    public void SendConsentCheck() { }

    public bool TryOpenEcho(Span<byte> datagram, int length, Span<byte> payload, out int payloadLength)
    {
        payloadLength = length - HeaderBytes - TagBytes;
        if (payloadLength <= 0)
            return false;
        datagram.Slice(HeaderBytes, payloadLength).CopyTo(payload);
        return true;
    }

    public void Dispose() => Socket.Dispose();
}
