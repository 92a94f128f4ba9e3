namespace EdgeVoice.Relay.Notices;

/// <summary>The Ogg page checksum (RFC 3533 §6): CRC-32, polynomial 0x04C11DB7, not reflected, initial value 0, no final XOR.</summary>
public static class OggCrc
{
    private static readonly uint[] Table = CreateTable();

    public static uint Compute(ReadOnlySpan<byte> data, uint crc = 0)
    {
        foreach (byte b in data)
            crc = crc << 8 ^ Table[(crc >> 24 ^ b) & 0xFF];
        return crc;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint r = i << 24;
            for (int bit = 0; bit < 8; bit++)
                r = (r & 0x8000_0000) != 0 ? r << 1 ^ 0x04C1_1DB7 : r << 1;
            table[i] = r;
        }
        return table;
    }
}
