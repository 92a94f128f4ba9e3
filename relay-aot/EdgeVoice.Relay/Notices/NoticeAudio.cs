using System.Buffers.Binary;
using EdgeVoice.Relay.Sessions;

namespace EdgeVoice.Relay.Notices;

/// <summary>
/// A spoken notice the relay plays to a caller by itself (it has no TTS and no Opus encoder): the 20 ms Opus packets of
/// an Ogg Opus file (RFC 7845), read once at start. The encoder's priming (OpusHead pre-skip, a few ms) plays as part of
/// the first packet, which a notice that starts with silence never shows.
/// </summary>
public sealed class NoticeAudio
{
    /// <summary>RTP clock ticks (48 kHz) in one packet.</summary>
    public const int SamplesPerPacket = 960;
    public static readonly TimeSpan PacketDuration = TimeSpan.FromMilliseconds(20);
    /// <summary>A notice is short: 30 s at most.</summary>
    public const int MaxPackets = 1500;
    /// <summary>Large enough for 30 s of 20 ms packets at the largest size the relay sends.</summary>
    public const int MaxFileBytes = 2 * 1024 * 1024;
    public const string NoTransceiverResource = "EdgeVoice.Relay.Notices.no-transceiver.opus";

    private static readonly Lazy<NoticeAudio> EmbeddedNoTransceiver = new(() => LoadEmbedded(NoTransceiverResource));

    private readonly byte[] _payloads;
    private readonly int[] _offsets;

    private NoticeAudio(byte[] payloads, int[] offsets, int channels, int preSkip)
    {
        _payloads = payloads;
        _offsets = offsets;
        Channels = channels;
        PreSkip = preSkip;
    }

    /// <summary>The notice built into the relay (relay-aot/EdgeVoice.Relay/Notices/no-transceiver.opus): "Sorry, no agent is available. Please call again later."</summary>
    public static NoticeAudio NoTransceiver => EmbeddedNoTransceiver.Value;

    public int PacketCount => _offsets.Length - 1;
    public TimeSpan Duration => PacketDuration * PacketCount;
    public int Channels { get; }
    public int PreSkip { get; }

    public ReadOnlySpan<byte> Packet(int index) => _payloads.AsSpan(_offsets[index], _offsets[index + 1] - _offsets[index]);

    /// <summary>Reads an Ogg Opus file: one logical stream, OpusHead and OpusTags, then audio packets of 20 ms each.</summary>
    public static bool TryParse(ReadOnlySpan<byte> file, out NoticeAudio? notice, out OggError error)
    {
        notice = null;
        var reader = new PacketReader();
        uint serial = 0;
        uint expectedSequence = 0;
        bool ended = false;
        int offset = 0;
        if (file.IsEmpty)
        {
            error = OggError.Empty;
            return false;
        }
        while (offset < file.Length)
        {
            if (ended)
            {
                error = OggError.TrailingData;
                return false;
            }
            if (!OggPage.TryParse(file[offset..], out var page, out error))
            {
                if (error == OggError.Empty) error = OggError.Truncated;
                return false;
            }
            bool first = offset == 0;
            bool begins = (page.Flags & OggPageFlags.BeginningOfStream) != 0;
            if (first != begins || (!first && page.Serial != serial))
            {
                error = OggError.NotOneStream;
                return false;
            }
            if (first)
            {
                serial = page.Serial;
                expectedSequence = page.Sequence;
            }
            if (page.Sequence != expectedSequence)
            {
                error = OggError.PageOutOfSequence;
                return false;
            }
            expectedSequence++;
            if (((page.Flags & OggPageFlags.Continued) != 0) != reader.HasOpenPacket)
            {
                error = OggError.BrokenContinuation;
                return false;
            }
            if (!reader.TryAdd(page.Segments, page.Body, out error))
                return false;
            ended = (page.Flags & OggPageFlags.EndOfStream) != 0;
            offset += page.Length;
        }
        if (!ended || reader.HasOpenPacket)
        {
            error = OggError.MissingEndOfStream;
            return false;
        }
        if (reader.AudioPackets == 0)
        {
            error = reader.PacketCount == 0 ? OggError.BadOpusHead : reader.PacketCount == 1 ? OggError.MissingOpusTags : OggError.NoAudio;
            return false;
        }
        notice = new NoticeAudio(reader.Payloads.ToArray(), [.. reader.Offsets], reader.Channels, reader.PreSkip);
        error = OggError.None;
        return true;
    }

    /// <summary>Reads a notice file the operator configured; the message names the file and what is wrong with it.</summary>
    public static bool TryLoad(string path, out NoticeAudio? notice, out string? problem)
    {
        notice = null;
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxFileBytes)
            {
                problem = $"'{path}' is {info.Length} bytes; a notice file is at most {MaxFileBytes} bytes (30 s of Opus)";
                return false;
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read '{path}': {ex.Message}";
            return false;
        }
        if (!TryParse(bytes, out notice, out var error))
        {
            problem = $"'{path}' is not a usable Ogg Opus notice: {Describe(error)}";
            return false;
        }
        problem = null;
        return true;
    }

    public static string Describe(OggError error) => error switch
    {
        OggError.Empty => "the file is empty",
        OggError.Truncated => "a page is cut short (truncated file?)",
        OggError.BadCapturePattern => "not an Ogg file (a page does not start with \"OggS\")",
        OggError.BadVersion => "an Ogg page has an unknown version",
        OggError.BadChecksum => "an Ogg page's checksum is wrong (corrupted file)",
        OggError.NotOneStream => "it must hold exactly one logical stream (no chained or multiplexed streams)",
        OggError.PageOutOfSequence => "an Ogg page is missing (sequence numbers skip)",
        OggError.BrokenContinuation => "a packet's continuation across pages is broken",
        OggError.MissingEndOfStream => "the stream has no end-of-stream page (truncated file?)",
        OggError.TrailingData => "bytes follow the end of the stream",
        OggError.BadOpusHead => "the first packet is not an OpusHead header (is this an Opus file?)",
        OggError.UnsupportedOpusHead => "only mono or stereo Opus (channel mapping family 0, OpusHead version 1) is played",
        OggError.MissingOpusTags => "the second packet is not an OpusTags header",
        OggError.BadOpusPacket => "an audio packet is empty or malformed",
        OggError.NotTwentyMilliseconds => "every audio packet must last 20 ms (encode with opusenc --framesize 20)",
        OggError.PacketTooLarge => $"an audio packet is larger than {CallerFeed.MaxPayload} bytes (use a lower --bitrate)",
        OggError.NoAudio => "the stream holds no audio",
        OggError.TooLong => $"it is longer than {MaxPackets / 50} s",
        _ => error.ToString(),
    };

    /// <summary>Samples at 48 kHz in an Opus packet, from its TOC byte (RFC 6716 §3.1); 0 when the packet is malformed.</summary>
    public static int PacketSamples(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty)
            return 0;
        int config = packet[0] >> 3;
        // Frame length in 48 kHz samples: SILK 10/20/40/60 ms, hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
        int frame = config switch
        {
            < 12 => (config & 3) switch { 0 => 480, 1 => 960, 2 => 1920, _ => 2880 },
            < 16 => (config & 1) == 0 ? 480 : 960,
            _ => 120 << (config & 3),
        };
        int frames = (packet[0] & 3) switch
        {
            0 => 1,
            1 or 2 => 2,
            _ => packet.Length >= 2 ? packet[1] & 0x3F : 0,
        };
        return frames * frame;
    }

    private static NoticeAudio LoadEmbedded(string resource)
    {
        using var stream = typeof(NoticeAudio).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the relay was built without its notice {resource}");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        if (!TryParse(bytes, out var notice, out var error))
            throw new InvalidOperationException($"the relay's built-in notice {resource} does not read: {Describe(error)}");
        return notice!;
    }

    /// <summary>Joins lacing segments into packets and checks each: OpusHead, OpusTags, then audio.</summary>
    private sealed class PacketReader
    {
        private readonly List<byte> _open = [];
        public readonly List<byte> Payloads = [];
        public readonly List<int> Offsets = [0];
        public bool HasOpenPacket;
        public int PacketCount;
        public int AudioPackets;
        public int Channels;
        public int PreSkip;

        public bool TryAdd(ReadOnlySpan<byte> segments, ReadOnlySpan<byte> body, out OggError error)
        {
            int at = 0;
            foreach (byte lacing in segments)
            {
                if (_open.Count + lacing > MaxFileBytes)
                {
                    error = OggError.TooLong;
                    return false;
                }
                foreach (byte b in body.Slice(at, lacing)) _open.Add(b);
                at += lacing;
                HasOpenPacket = lacing == 255;
                if (HasOpenPacket)
                    continue;
                if (!TryFinishPacket(out error))
                    return false;
                _open.Clear();
            }
            error = OggError.None;
            return true;
        }

        private bool TryFinishPacket(out OggError error)
        {
            var packet = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_open);
            int index = PacketCount++;
            if (index == 0)
                return TryReadHead(packet, out error);
            if (index == 1)
            {
                error = packet.StartsWith("OpusTags"u8) ? OggError.None : OggError.MissingOpusTags;
                return error == OggError.None;
            }
            int samples = PacketSamples(packet);
            if (samples == 0)
                error = OggError.BadOpusPacket;
            else if (samples != SamplesPerPacket)
                error = OggError.NotTwentyMilliseconds;
            else if (packet.Length > CallerFeed.MaxPayload)
                error = OggError.PacketTooLarge;
            else if (AudioPackets == MaxPackets)
                error = OggError.TooLong;
            else
                error = OggError.None;
            if (error != OggError.None)
                return false;
            foreach (byte b in packet) Payloads.Add(b);
            Offsets.Add(Payloads.Count);
            AudioPackets++;
            return true;
        }

        private bool TryReadHead(ReadOnlySpan<byte> head, out OggError error)
        {
            // magic(8) version(1) channels(1) pre-skip(2) input rate(4) gain(2) mapping family(1)
            if (head.Length < 19 || !head.StartsWith("OpusHead"u8))
            {
                error = OggError.BadOpusHead;
                return false;
            }
            int channels = head[9];
            if (head[8] >> 4 != 0 || channels is < 1 or > 2 || head[18] != 0)
            {
                error = channels == 0 ? OggError.BadOpusHead : OggError.UnsupportedOpusHead;
                return false;
            }
            Channels = channels;
            PreSkip = BinaryPrimitives.ReadUInt16LittleEndian(head[10..]);
            error = OggError.None;
            return true;
        }
    }
}
