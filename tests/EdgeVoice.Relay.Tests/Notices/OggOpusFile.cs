using System.Buffers.Binary;
using EdgeVoice.Relay.Notices;

namespace EdgeVoice.Relay.Tests.Notices;

/// <summary>Builds Ogg Opus files for the reader's tests with <see cref="OggPage.WriteTo"/>, page by page, so a test can break one.</summary>
internal static class OggOpusFile
{
    public const uint Serial = 0x1234_5678;

    public static string BuiltIn => Path.Combine(Support.RepoPaths.Root, "relay-aot", "EdgeVoice.Relay", "Notices", "no-transceiver.opus");

    public static byte[] OpusHead(byte version = 1, byte channels = 1, ushort preSkip = 312, byte family = 0)
    {
        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = version;
        head[9] = channels;
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), preSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), 48_000);
        head[18] = family;
        return head;
    }

    public static byte[] OpusTags() => [.. "OpusTags"u8, 4, 0, 0, 0, .. "test"u8, 0, 0, 0, 0];

    /// <summary>A 20 ms CELT packet (TOC config 31, one frame) of <paramref name="length"/> bytes.</summary>
    public static byte[] Audio(int length, int seed)
    {
        var packet = new byte[length];
        new Random(seed).NextBytes(packet);
        packet[0] = 0xF8;
        return packet;
    }

    public static List<byte[]> Packets(int audio, int length = 60) =>
        [OpusHead(), OpusTags(), .. Enumerable.Range(0, audio).Select(i => Audio(length + i % 7, i))];

    /// <summary>The pages of a stream holding <paramref name="packets"/>: headers on their own pages, then at most <paramref name="segmentsPerPage"/> segments a page.</summary>
    public static List<byte[]> Pages(IReadOnlyList<byte[]> packets, int segmentsPerPage = 255)
    {
        var pages = new List<byte[]>();
        var segments = new List<byte>();
        var body = new List<byte>();
        bool continued = false;
        bool openPacket = false;
        long granule = 0;
        void Flush(bool last)
        {
            var flags = (pages.Count == 0 ? OggPageFlags.BeginningOfStream : 0) | (continued ? OggPageFlags.Continued : 0) | (last ? OggPageFlags.EndOfStream : 0);
            var page = new OggPage(flags, openPacket && segments.All(s => s == 255) ? -1 : granule, Serial, (uint)pages.Count, segments.ToArray(), body.ToArray());
            var bytes = new byte[page.Length];
            page.WriteTo(bytes);
            pages.Add(bytes);
            continued = openPacket;
            segments.Clear();
            body.Clear();
        }
        for (int p = 0; p < packets.Count; p++)
        {
            var packet = packets[p];
            int at = 0;
            while (true)
            {
                int lacing = Math.Min(255, packet.Length - at);
                segments.Add((byte)lacing);
                body.AddRange(packet.AsSpan(at, lacing).ToArray());
                at += lacing;
                openPacket = lacing == 255;
                if (segments.Count == segmentsPerPage && (openPacket || p < packets.Count - 1))
                    Flush(last: false);
                if (!openPacket) break;
            }
            if (p >= 2) granule += 960;
            // RFC 7845: each header packet ends its page.
            if (p < 2 && segments.Count > 0)
                Flush(last: false);
        }
        Flush(last: true);
        return pages;
    }

    public static byte[] Join(IEnumerable<byte[]> pages) => pages.SelectMany(p => p).ToArray();

    public static byte[] Build(IReadOnlyList<byte[]> packets, int segmentsPerPage = 255) => Join(Pages(packets, segmentsPerPage));

    /// <summary>Rewrites a page's header fields and its CRC (to break the structure, not the checksum).</summary>
    public static byte[] Reseal(byte[] page, OggPageFlags? flags = null, uint? sequence = null, uint? serial = null)
    {
        var copy = (byte[])page.Clone();
        if (flags is { } f) copy[5] = (byte)f;
        if (sequence is { } s) BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(18), s);
        if (serial is { } n) BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(14), n);
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(22), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(22), OggCrc.Compute(copy));
        return copy;
    }
}
