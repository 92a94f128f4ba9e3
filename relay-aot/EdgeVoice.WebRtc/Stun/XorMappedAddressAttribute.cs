using System.Buffers.Binary;

namespace EdgeVoice.WebRtc.Stun;

/// <summary>XOR-MAPPED-ADDRESS (RFC 8489 §14.2): the address the request came from, XORed with the cookie and transaction id.</summary>
public readonly struct XorMappedAddressAttribute(TransportAddress address) : IStunAttribute<XorMappedAddressAttribute>
{
    private const byte FamilyIPv4 = 0x01;
    private const byte FamilyIPv6 = 0x02;

    public TransportAddress Address { get; } = address;

    public static StunAttributeType Type => StunAttributeType.XorMappedAddress;

    public int ValueLength => Address.IsIPv4 ? 8 : 20;

    public static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, out XorMappedAddressAttribute attribute)
    {
        attribute = default;
        if (value.Length < 4 || transactionId.Length != StunMessage.TransactionIdLength)
            return false;
        ushort port = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (StunMessage.MagicCookie >> 16));
        Span<byte> address = stackalloc byte[16];
        switch (value[1])
        {
            case FamilyIPv4 when value.Length == 8:
                BinaryPrimitives.WriteUInt32BigEndian(address, BinaryPrimitives.ReadUInt32BigEndian(value[4..]) ^ StunMessage.MagicCookie);
                attribute = new XorMappedAddressAttribute(TransportAddress.FromIPv4(address, port));
                return true;
            case FamilyIPv6 when value.Length == 20:
                XorMask(value.Slice(4, 16), transactionId, address);
                attribute = new XorMappedAddressAttribute(TransportAddress.FromIPv6(address, port));
                return true;
            default:
                return false;
        }
    }

    public void WriteValue(Span<byte> destination, ReadOnlySpan<byte> transactionId)
    {
        destination[0] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(Address.Port ^ (StunMessage.MagicCookie >> 16)));
        Span<byte> address = stackalloc byte[16];
        if (Address.WriteAddress(address) == 4)
        {
            destination[1] = FamilyIPv4;
            BinaryPrimitives.WriteUInt32BigEndian(destination[4..], BinaryPrimitives.ReadUInt32BigEndian(address) ^ StunMessage.MagicCookie);
        }
        else
        {
            destination[1] = FamilyIPv6;
            XorMask(address, transactionId, destination.Slice(4, 16));
        }
    }

    // IPv6 addresses are XORed with the magic cookie followed by the 96-bit transaction id.
    private static void XorMask(ReadOnlySpan<byte> source, ReadOnlySpan<byte> transactionId, Span<byte> destination)
    {
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunMessage.MagicCookie);
        transactionId.CopyTo(mask[4..]);
        for (int i = 0; i < 16; i++)
            destination[i] = (byte)(source[i] ^ mask[i]);
    }
}
