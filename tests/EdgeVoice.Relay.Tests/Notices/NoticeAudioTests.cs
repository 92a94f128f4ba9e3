using System.Collections;
using EdgeVoice.Relay.Configuration;
using EdgeVoice.Relay.Notices;
using EdgeVoice.Relay.Sessions;
using EdgeVoice.Relay.Tests.Support;
using EdgeVoice.Transceiver.Opus;

namespace EdgeVoice.Relay.Tests.Notices;

public sealed class NoticeAudioTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgevoice-notice-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static string Grammar => Path.Combine(RepoPaths.Root, "tests", "EdgeVoice.Relay.Tests", "Notices", "caller-hears.gram");

    [Theory]
    [InlineData("", 0x0000_0000u)]
    [InlineData("123456789", 0x89A1_897Fu)] // CRC-32/CKSUM's check value 0x765E7680 before its final XOR
    public void Ogg_crc_matches_known_values(string text, uint expected) =>
        Assert.Equal(expected, OggCrc.Compute(System.Text.Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void A_page_round_trips_through_write_and_parse()
    {
        byte[] body = [.. Enumerable.Range(0, 300).Select(i => (byte)i)];
        var page = new OggPage(OggPageFlags.Continued | OggPageFlags.EndOfStream, 123_456_789_012, 0xCAFE_F00D, 42, [255, 45], body);
        var bytes = new byte[page.Length + 5];
        int written = page.WriteTo(bytes);
        Assert.Equal(OggPage.HeaderLength + 2 + 300, written);
        Assert.True(OggPage.TryParse(bytes, out var parsed, out var error), error.ToString());
        Assert.Equal((page.Flags, page.GranulePosition, page.Serial, page.Sequence, written),
            (parsed.Flags, parsed.GranulePosition, parsed.Serial, parsed.Sequence, parsed.Length));
        Assert.Equal(body, parsed.Body.ToArray());
        Assert.Equal([255, 45], parsed.Segments.ToArray());
    }

    [Fact]
    public void The_built_in_notice_is_twenty_millisecond_mono_opus_and_opusenc_made_it()
    {
        var notice = NoticeAudio.NoTransceiver;
        Assert.Equal(1, notice.Channels);
        Assert.Equal(312, notice.PreSkip); // libopus' encoder delay at 48 kHz, as opusenc writes it
        Assert.InRange(notice.Duration, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(8));
        for (int i = 0; i < notice.PacketCount; i++)
            Assert.Equal(NoticeAudio.SamplesPerPacket, NoticeAudio.PacketSamples(notice.Packet(i)));
        Assert.True(NoticeAudio.TryParse(File.ReadAllBytes(OggOpusFile.BuiltIn), out var fromFile, out _));
        Assert.Equal(notice.PacketCount, fromFile!.PacketCount);
    }

    [Fact]
    public void The_built_in_notice_says_its_words()
    {
        var notice = NoticeAudio.NoTransceiver;
        var decoder = new OpusFrameDecoder();
        var pcm = new short[notice.PacketCount * OpusFrameDecoder.FrameSamples];
        for (int i = 0; i < notice.PacketCount; i++)
            Assert.True(decoder.TryDecode(notice.Packet(i), pcm.AsSpan(i * OpusFrameDecoder.FrameSamples, OpusFrameDecoder.FrameSamples), out var error), $"packet {i}: {error}");
        Assert.Equal("sorry no agent is available please call again later", new ReceivedAudio(pcm, 48_000).Transcribe(Grammar));
    }

    [Theory]
    [InlineData(255, 60)]
    [InlineData(3, 60)]    // a page every 3 segments: packets run across pages
    [InlineData(2, 700)]   // every packet spans pages
    [InlineData(1, 255)]   // lacing 255 then 0: a packet that fills its segment exactly
    public void Packets_read_back_as_written(int segmentsPerPage, int length)
    {
        var packets = OggOpusFile.Packets(40, length);
        Assert.True(NoticeAudio.TryParse(OggOpusFile.Build(packets, segmentsPerPage), out var notice, out var error), error.ToString());
        Assert.Equal(40, notice!.PacketCount);
        Assert.Equal(TimeSpan.FromMilliseconds(800), notice.Duration);
        for (int i = 0; i < 40; i++)
            Assert.Equal(packets[i + 2], notice.Packet(i).ToArray());
    }

    public static TheoryData<string, OggError> Malformed => new()
    {
        { "empty file", OggError.Empty },
        { "cut mid-page", OggError.Truncated },
        { "last page missing", OggError.MissingEndOfStream },
        { "not Ogg", OggError.BadCapturePattern },
        { "page version 1", OggError.BadVersion },
        { "a body byte flipped", OggError.BadChecksum },
        { "first page without BOS", OggError.NotOneStream },
        { "a page of another stream", OggError.NotOneStream },
        { "a second BOS page", OggError.NotOneStream },
        { "a page skipped", OggError.PageOutOfSequence },
        { "continued flag without an open packet", OggError.BrokenContinuation },
        { "open packet without continued flag", OggError.BrokenContinuation },
        { "bytes after the end", OggError.TrailingData },
        { "no OpusHead", OggError.BadOpusHead },
        { "short OpusHead", OggError.BadOpusHead },
        { "zero channels", OggError.BadOpusHead },
        { "three channels", OggError.UnsupportedOpusHead },
        { "mapping family 1", OggError.UnsupportedOpusHead },
        { "OpusHead version 16", OggError.UnsupportedOpusHead },
        { "no OpusTags", OggError.MissingOpusTags },
        { "headers only", OggError.NoAudio },
        { "an empty audio packet", OggError.BadOpusPacket },
        { "code 3 with no frames", OggError.BadOpusPacket },
        { "a 40 ms SILK packet", OggError.NotTwentyMilliseconds },
        { "two 20 ms frames", OggError.NotTwentyMilliseconds },
        { "a 10 ms packet", OggError.NotTwentyMilliseconds },
        { "a packet over the RTP payload limit", OggError.PacketTooLarge },
        { "31 s of audio", OggError.TooLong },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_files_are_refused_with_the_reason(string name, OggError expected)
    {
        byte[] file = MalformedFile(name);
        Assert.False(NoticeAudio.TryParse(file, out var notice, out var error));
        Assert.Null(notice);
        Assert.Equal(expected, error);
        Assert.DoesNotContain(nameof(OggError), NoticeAudio.Describe(error));
    }

    private static byte[] MalformedFile(string name)
    {
        var packets = OggOpusFile.Packets(20);
        var pages = OggOpusFile.Pages(packets, segmentsPerPage: 4);
        byte[] valid = OggOpusFile.Join(pages);
        List<byte[]> With(int index, byte[] page) => pages.Select((p, i) => i == index ? page : p).ToList();
        byte[] Packets(Action<List<byte[]>> change)
        {
            var list = OggOpusFile.Packets(20);
            change(list);
            return OggOpusFile.Build(list);
        }
        return name switch
        {
            "empty file" => [],
            "cut mid-page" => valid[..(valid.Length - 10)],
            "last page missing" => OggOpusFile.Join(pages.SkipLast(1)),
            "not Ogg" => [.. "RIFF"u8, .. valid[4..]],
            "page version 1" => [.. valid[..4], 1, .. valid[5..]],
            "a body byte flipped" => Flip(valid, pages[0].Length + pages[1].Length + pages[2].Length - 3),
            "first page without BOS" => OggOpusFile.Join(With(0, OggOpusFile.Reseal(pages[0], flags: OggPageFlags.None))),
            "a page of another stream" => OggOpusFile.Join(With(3, OggOpusFile.Reseal(pages[3], serial: 7))),
            "a second BOS page" => OggOpusFile.Join(With(3, OggOpusFile.Reseal(pages[3], flags: OggPageFlags.BeginningOfStream))),
            "a page skipped" => OggOpusFile.Join(pages.Where((_, i) => i != 3).Select((p, i) => i >= 3 ? OggOpusFile.Reseal(p, sequence: (uint)i + 1) : p)),
            "continued flag without an open packet" => OggOpusFile.Join(With(1, OggOpusFile.Reseal(pages[1], flags: OggPageFlags.Continued))),
            // Pages: OpusHead, OpusTags, then a 700-byte packet one segment a page; page 3 continues it but says it does not.
            "open packet without continued flag" => OggOpusFile.Join(OggOpusFile.Pages([.. packets[..2], OggOpusFile.Audio(700, 1)], segmentsPerPage: 1)
                .Select((p, i) => i == 3 ? OggOpusFile.Reseal(p, flags: OggPageFlags.None) : p)),
            "bytes after the end" => [.. valid, 0],
            "no OpusHead" => Packets(l => l.RemoveAt(0)),
            "short OpusHead" => Packets(l => l[0] = l[0][..18]),
            "zero channels" => Packets(l => l[0] = OggOpusFile.OpusHead(channels: 0)),
            "three channels" => Packets(l => l[0] = OggOpusFile.OpusHead(channels: 3)),
            "mapping family 1" => Packets(l => l[0] = OggOpusFile.OpusHead(family: 1)),
            "OpusHead version 16" => Packets(l => l[0] = OggOpusFile.OpusHead(version: 16)),
            "no OpusTags" => Packets(l => l.RemoveAt(1)),
            "headers only" => Packets(l => l.RemoveRange(2, l.Count - 2)),
            "an empty audio packet" => Packets(l => l[5] = []),
            "code 3 with no frames" => Packets(l => l[5] = [0xFB, 0x00, 1, 2]),
            "a 40 ms SILK packet" => Packets(l => l[5] = [0x10, 1, 2, 3]),
            "two 20 ms frames" => Packets(l => l[5] = [0xF9, 1, 2, 3]),
            "a 10 ms packet" => Packets(l => l[5] = [0xF0, 1, 2, 3]),
            "a packet over the RTP payload limit" => Packets(l => l[5] = OggOpusFile.Audio(CallerFeed.MaxPayload + 1, 5)),
            "31 s of audio" => OggOpusFile.Build(OggOpusFile.Packets(31 * 50, length: 3)),
            _ => throw new ArgumentException(name),
        };
    }

    private static byte[] Flip(byte[] data, int at)
    {
        var copy = (byte[])data.Clone();
        copy[at] ^= 0x40;
        return copy;
    }

    [Fact]
    public void Random_bytes_and_mutated_files_never_throw()
    {
        var random = new Random(20261125);
        byte[] builtIn = File.ReadAllBytes(OggOpusFile.BuiltIn);
        byte[] small = OggOpusFile.Build(OggOpusFile.Packets(30), segmentsPerPage: 5);
        int acceptedRandom = 0;
        for (int i = 0; i < 4000; i++)
        {
            byte[] input = (i % 4) switch
            {
                0 => RandomBytes(random, random.Next(0, 400)),
                1 => [.. "OggS"u8, .. RandomBytes(random, random.Next(0, 400))],
                2 => Mutate(random, small),
                _ => Mutate(random, builtIn),
            };
            if (NoticeAudio.TryParse(input, out var notice, out _))
            {
                if (i % 4 < 2) acceptedRandom++;
                for (int p = 0; p < notice!.PacketCount; p++)
                {
                    Assert.Equal(NoticeAudio.SamplesPerPacket, NoticeAudio.PacketSamples(notice.Packet(p)));
                    Assert.InRange(notice.Packet(p).Length, 1, CallerFeed.MaxPayload);
                }
            }
        }
        // Random bytes never pass the page checksums (re-sealed mutations may: a changed granule position is harmless).
        Assert.Equal(0, acceptedRandom);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] valid)
    {
        var copy = (byte[])valid.Clone();
        switch (random.Next(3))
        {
            case 0:
                for (int n = random.Next(1, 5); n > 0; n--) copy[random.Next(copy.Length)] = (byte)random.Next(256);
                return copy;
            case 1:
                return copy[..random.Next(copy.Length)];
            default:
                // Re-sealed pages with a changed header field: gets past the checksum to the structure checks.
                int page = 0, offset = 0;
                int target = random.Next(6);
                while (OggPage.TryParse(copy.AsSpan(offset), out var p, out _) && page < target) { offset += p.Length; page++; }
                if (!OggPage.TryParse(copy.AsSpan(offset), out var found, out _)) return copy;
                var bytes = copy[offset..(offset + found.Length)];
                bytes[random.Next(4, OggPage.HeaderLength + found.Segments.Length)] = (byte)random.Next(256);
                bytes = OggOpusFile.Reseal(bytes);
                return [.. copy[..offset], .. bytes, .. copy[(offset + found.Length)..]];
        }
    }

    [Fact]
    public void Loading_names_the_file_and_the_problem()
    {
        string missing = Path.Combine(_directory, "missing.opus");
        Assert.False(NoticeAudio.TryLoad(missing, out _, out string? problem));
        Assert.Contains(missing, problem);
        string wav = Path.Combine(_directory, "notice.wav");
        File.WriteAllBytes(wav, [.. "RIFF"u8, .. new byte[40]]);
        Assert.False(NoticeAudio.TryLoad(wav, out _, out problem));
        Assert.Equal($"'{wav}' is not a usable Ogg Opus notice: not an Ogg file (a page does not start with \"OggS\")", problem);
        Assert.True(NoticeAudio.TryLoad(OggOpusFile.BuiltIn, out var notice, out problem), problem);
        Assert.Equal(NoticeAudio.NoTransceiver.PacketCount, notice!.PacketCount);
    }

    [Fact]
    public void The_relay_configuration_reads_notices_no_transceiver_and_refuses_a_bad_file()
    {
        string good = Path.Combine(_directory, "custom.opus");
        File.WriteAllBytes(good, OggOpusFile.Build(OggOpusFile.Packets(10)));
        var options = Load($"notices:\n  no_transceiver: custom.opus\n");
        Assert.Equal(good, options.Notices!.NoTransceiverPath);
        Assert.Equal(10, options.Notices.NoTransceiver!.PacketCount);

        Assert.Null(Load("").Notices!.NoTransceiver);

        File.WriteAllBytes(Path.Combine(_directory, "forty.opus"), OggOpusFile.Build([OggOpusFile.OpusHead(), OggOpusFile.OpusTags(), [0x10, 1, 2]]));
        var e = Assert.Throws<RelayConfigurationException>(() => Load("notices:\n  no_transceiver: forty.opus\n"));
        Assert.Contains("relay.yaml:", e.Message);
        Assert.Contains("notices.no_transceiver: '" + Path.Combine(_directory, "forty.opus") + "' is not a usable Ogg Opus notice: every audio packet must last 20 ms", e.Message);

        e = Assert.Throws<RelayConfigurationException>(() => Load("notices:\n  no_transceiver: nowhere.opus\n"));
        Assert.Contains("notices.no_transceiver: file '" + Path.Combine(_directory, "nowhere.opus") + "' not found", e.Message);
    }

    private RelayOptions Load(string extraYaml)
    {
        string path = Path.Combine(_directory, "relay.yaml");
        File.WriteAllText(path, $"""
            media:
              listen_address: 127.0.0.1
            auth:
              api_keys:
                - id: demo
                  key: test-api-key-0123456789
              token_secret: {Convert.ToBase64String(new byte[32])}

            """ + extraYaml);
        return RelayOptionsLoader.Load(path, [], new Hashtable());
    }

    [Fact]
    public void Playback_paces_one_packet_per_20_ms_and_finishes_after_the_last_one()
    {
        var notice = Parse(OggOpusFile.Packets(5));
        var start = TimeSpan.FromSeconds(10);
        var playback = new NoticePlayback(notice, start);
        var sent = new List<(TimeSpan At, int Index)>();
        // A loop that wakes every 5 ms of virtual time.
        for (var now = start; now < start + TimeSpan.FromMilliseconds(200) && !playback.IsFinished(now); now += TimeSpan.FromMilliseconds(5))
            while (playback.TryTake(now, out var packet, out int index))
            {
                Assert.Equal(notice.Packet(index).ToArray(), packet.ToArray());
                sent.Add((now, index));
            }
        Assert.Equal([0, 1, 2, 3, 4], sent.Select(s => s.Index));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => start + TimeSpan.FromMilliseconds(20 * i)), sent.Select(s => s.At));
        Assert.False(playback.IsFinished(start + TimeSpan.FromMilliseconds(99)));
        Assert.True(playback.IsFinished(start + TimeSpan.FromMilliseconds(100)));
        Assert.Equal(start + TimeSpan.FromMilliseconds(100), playback.NextDue);
    }

    [Fact]
    public void A_late_loop_catches_up_within_the_slack_and_restarts_beyond_it()
    {
        var notice = Parse(OggOpusFile.Packets(10));
        var start = TimeSpan.Zero;
        var playback = new NoticePlayback(notice, start);
        Assert.True(playback.TryTake(start, out _, out _));
        Assert.False(playback.TryTake(start + TimeSpan.FromMilliseconds(19), out _, out _));
        // 45 ms late: the three packets due by now (20, 40, 60 ms) go at once; the receiver's jitter buffer absorbs it.
        Assert.Equal(3, TakeAll(playback, start + TimeSpan.FromMilliseconds(65)));
        Assert.Equal(TimeSpan.FromMilliseconds(80), playback.NextDue);
        // 200 ms late: one packet, then the pacing goes on from now rather than bursting ten.
        var late = TimeSpan.FromMilliseconds(280);
        Assert.Equal(1, TakeAll(playback, late));
        Assert.Equal(late + TimeSpan.FromMilliseconds(20), playback.NextDue);
        Assert.Equal(5, playback.Played);
    }

    [Fact]
    public void The_feed_takes_the_first_notice_request_and_wakes_the_loop()
    {
        int wakes = 0;
        var feed = new CallerFeed(() => wakes++);
        var notice = Parse(OggOpusFile.Packets(3));
        feed.PlayNoticeThenEnd(notice, "transceiver gpu-1 disconnected");
        feed.PlayNoticeThenEnd(NoticeAudio.NoTransceiver, "second");
        Assert.Same(notice, feed.Notice);
        Assert.Equal(1, wakes);
        Assert.False(feed.EndRequested);
        Assert.Equal("transceiver gpu-1 disconnected", feed.EndReason);
        feed.RequestEnd("hung up");
        Assert.True(feed.EndRequested);
        Assert.Equal("hung up", feed.EndReason);
    }

    private static int TakeAll(NoticePlayback playback, TimeSpan now)
    {
        int n = 0;
        while (playback.TryTake(now, out _, out _)) n++;
        return n;
    }

    private static NoticeAudio Parse(List<byte[]> packets)
    {
        Assert.True(NoticeAudio.TryParse(OggOpusFile.Build(packets), out var notice, out var error), error.ToString());
        return notice!;
    }
}
