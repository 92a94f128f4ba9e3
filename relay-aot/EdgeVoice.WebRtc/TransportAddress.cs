using System.Net;
using System.Net.Sockets;

namespace EdgeVoice.WebRtc;

/// <summary>An IP address and UDP port as a value: a dictionary key for the 5-tuple lookup that allocates nothing.</summary>
public readonly struct TransportAddress : IEquatable<TransportAddress>
{
    // IPv4 is stored as an IPv4-mapped IPv6 address so one layout serves both families.
    private readonly ulong _high;
    private readonly ulong _low;

    public TransportAddress(ulong high, ulong low, ushort port)
    {
        _high = high;
        _low = low;
        Port = port;
    }

    public ushort Port { get; }

    public bool IsIPv4 => _high == 0 && (_low >> 32) == 0xFFFF;

    public static TransportAddress FromIPv4(ReadOnlySpan<byte> address, ushort port)
    {
        uint v4 = (uint)(address[0] << 24 | address[1] << 16 | address[2] << 8 | address[3]);
        return new TransportAddress(0, 0xFFFF_0000_0000UL | v4, port);
    }

    public static TransportAddress FromIPv6(ReadOnlySpan<byte> address, ushort port) =>
        new(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(address),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(address[8..]), port);

    public static TransportAddress FromEndPoint(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        var address = endPoint.Address;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return FromIPv4(bytes, (ushort)endPoint.Port);
        }
        address.TryWriteBytes(bytes, out _);
        return FromIPv6(bytes, (ushort)endPoint.Port);
    }

    /// <summary>Writes the address (4 bytes for IPv4, 16 for IPv6) and returns its length.</summary>
    public int WriteAddress(Span<byte> destination)
    {
        if (IsIPv4)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
            return 4;
        }
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        return 16;
    }

    public IPEndPoint ToEndPoint()
    {
        Span<byte> bytes = stackalloc byte[16];
        int length = WriteAddress(bytes);
        return new IPEndPoint(new IPAddress(bytes[..length]), Port);
    }

    public bool Equals(TransportAddress other) => _high == other._high && _low == other._low && Port == other.Port;
    public override bool Equals(object? obj) => obj is TransportAddress other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(_high, _low, Port);
    public static bool operator ==(TransportAddress a, TransportAddress b) => a.Equals(b);
    public static bool operator !=(TransportAddress a, TransportAddress b) => !a.Equals(b);
    public override string ToString() => ToEndPoint().ToString();
}
