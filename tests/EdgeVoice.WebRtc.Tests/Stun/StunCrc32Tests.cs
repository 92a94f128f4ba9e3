using System.Buffers.Binary;
using System.Text;
using EdgeVoice.WebRtc.Stun;

namespace EdgeVoice.WebRtc.Tests.Stun;

public class StunCrc32Tests
{
    [Theory]
    [InlineData("", 0x0000_0000u)]
    [InlineData("a", 0xE8B7_BE43u)]
    [InlineData("123456789", 0xCBF4_3926u)] // the CRC-32/ISO-HDLC check value
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414F_A339u)]
    public void Known_values(string input, uint expected)
    {
        Assert.Equal(expected, StunCrc32.Compute(Encoding.ASCII.GetBytes(input)));
    }

    [Theory]
    [MemberData(nameof(StunMessageTests.Rfc5769Vectors), MemberType = typeof(StunMessageTests))]
    public void Rfc5769_fingerprints_match(string name, byte[] datagram, StunClass expectedClass, int integrityOffset, int fingerprintOffset)
    {
        _ = (expectedClass, integrityOffset);
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(datagram.AsSpan(fingerprintOffset + 4));
        Assert.True(stored == (StunCrc32.Compute(datagram.AsSpan(0, fingerprintOffset)) ^ 0x5354_554Eu), name);
        Assert.Equal(ReferenceCrc32(datagram.AsSpan(0, fingerprintOffset)), StunCrc32.Compute(datagram.AsSpan(0, fingerprintOffset)));
    }

    [Fact]
    public void Agrees_with_the_byte_at_a_time_table_on_random_lengths_and_offsets()
    {
        var random = new Random(5389);
        byte[] buffer = new byte[1500 + 16];
        for (int i = 0; i < 3000; i++)
        {
            random.NextBytes(buffer);
            int length = i <= 1500 ? i : random.Next(0, 1501);
            int offset = random.Next(0, 16); // unaligned starts exercise the vector path's head handling
            ReadOnlySpan<byte> data = buffer.AsSpan(offset, length);
            Assert.Equal(ReferenceCrc32(data), StunCrc32.Compute(data));
        }
    }

    [Fact]
    public void Compute_allocates_nothing()
    {
        byte[] data = new byte[1500];
        StunCrc32.Compute(data);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            StunCrc32.Compute(data.AsSpan(0, i));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // The implementation the product used before: reflected polynomial 0xEDB88320, one table lookup per byte.
    private static readonly uint[] Table = BuildTable();

    private static uint ReferenceCrc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFF_FFFF;
        foreach (byte b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
