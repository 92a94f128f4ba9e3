using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Tunnel.Tests;

public class ControlCodecTests
{
    public static TheoryData<ControlMessage> Messages => new()
    {
        new HelloMessage(1, NodeRole.Relay, "relay-eu-1", 0),
        new HelloMessage(1, NodeRole.Transceiver, "gpu-ä-7", 64),
        new SessionOpenMessage(0xFEEDFACECAFEBEEF, "opus", 48000, 1, 20, [new("agent", "support"), new("lang", "en-US"), new("", "")]),
        new SessionOpenMessage(1, "opus", 48000, 2, 10, []),
        new SessionCloseMessage(5, SessionCloseReason.Moved, "transceiver gpu-2 drained"),
        new LoadReportMessage(12, 64, 3, 731),
        new SessionEventMessage(9, SessionEventKind.TranscriptFinal, "open the garage door please"),
        new SessionEventMessage(9, SessionEventKind.AgentState, "speaking"),
        new SessionEventMessage(9, SessionEventKind.TurnTiming, "asr_ms=120;agent_ms=3;tts_ms=45;reply_ms=180"),
        new PingMessage(0x0123456789ABCDEF),
        new PongMessage(42),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void RoundTrip(ControlMessage message)
    {
        var buf = new byte[1024];
        int n = ControlCodec.WriteTo(message, buf);
        Assert.True(n > 0);
        Assert.True(ControlCodec.TryParse(buf.AsSpan(0, n), out var parsed, out var error), error.ToString());
        Assert.Equal(message, parsed);
    }

    [Fact]
    public void TurnTiming_event_has_the_documented_bytes()
    {
        // docs/tunnel-wire-format.md §3.3: Event(1, turn-timing, "reply_ms=5").
        var buf = new byte[64];
        int n = ControlCodec.WriteTo(new SessionEventMessage(1, SessionEventKind.TurnTiming, "reply_ms=5"), buf);
        Assert.Equal("00000018" + "0005" + "01" + "0000000000000001" + "05" + "000A" + Convert.ToHexString("reply_ms=5"u8), Convert.ToHexString(buf, 0, n));
    }

    [Fact]
    public void KnownBytes_MatchWireFormatDoc()
    {
        // The Ping example in docs/tunnel-wire-format.md §3.
        var buf = new byte[64];
        int n = ControlCodec.WriteTo(new PingMessage(1), buf);
        Assert.Equal("0000000B" + "0006" + "01" + "0000000000000001", Convert.ToHexString(buf, 0, n));
        n = ControlCodec.WriteTo(new HelloMessage(1, NodeRole.Relay, "r1", 0), buf);
        Assert.Equal("0000000E" + "0001" + "01" + "0001" + "01" + "0002" + "7231" + "00000000", Convert.ToHexString(buf, 0, n));
    }

    [Fact]
    public void NewerVersion_WithTrailingFields_ParsesKnownPrefix()
    {
        byte[] record = Convert.FromHexString("0000000F" + "0006" + "02" + "0000000000000001" + "AABBCCDD");
        Assert.True(ControlCodec.TryParse(record, out var m, out _));
        Assert.Equal(new PingMessage(1), m);
    }

    [Fact]
    public void UnknownType_IsSkipped()
    {
        byte[] record = Convert.FromHexString("00000005" + "7FFF" + "01" + "ABCD");
        Assert.True(ControlCodec.TryParse(record, out var m, out var error));
        Assert.Null(m);
        Assert.Equal(ControlError.None, error);
    }

    [Fact]
    public void Event_of_a_newer_kind_is_skipped_but_a_truncated_one_is_not()
    {
        // Kind 6 is not defined yet: a newer transceiver's event must not end an older relay's tunnel.
        Assert.True(ControlCodec.TryParse(Convert.FromHexString("0000000E" + "0005" + "01" + "0000000000000001" + "06" + "0000"), out var m, out var error));
        Assert.Null(m);
        Assert.Equal(ControlError.None, error);
        Assert.False(ControlCodec.TryParse(Convert.FromHexString("0000000C" + "0005" + "01" + "0000000000000001" + "06"), out _, out error));
        Assert.Equal(ControlError.Truncated, error);
    }

    [Fact]
    public void WriteTo_TooSmall_ReturnsMinusOne()
    {
        Assert.Equal(-1, ControlCodec.WriteTo(new SessionEventMessage(1, SessionEventKind.AgentText, new string('x', 100)), new byte[50]));
    }

    public static TheoryData<string, ControlError> Malformed => new()
    {
        { "", ControlError.TooShort },
        { "000000", ControlError.TooShort },
        { "00000002" + "0006", ControlError.TooShort },
        { "00010001" + "0006" + "01", ControlError.RecordTooLarge },
        { "FFFFFFFF" + "0006" + "01", ControlError.RecordTooLarge },
        { "0000000B" + "0006" + "01" + "00000000000000", ControlError.Truncated },        // length says more than present
        { "0000000A" + "0006" + "01" + "00000000000000", ControlError.Truncated },        // ping body 7 bytes
        { "0000000B" + "0006" + "00" + "0000000000000001", ControlError.BadMessageVersion },
        { "00000003" + "0001" + "01", ControlError.Truncated },                            // empty hello
        { "0000000E" + "0001" + "01" + "0001" + "03" + "0002" + "7231" + "00000000", ControlError.BadEnumValue }, // role 3
        { "0000000E" + "0001" + "01" + "0001" + "01" + "0002" + "C328" + "00000000", ControlError.BadString },    // invalid UTF-8
        { "0000000E" + "0001" + "01" + "0001" + "01" + "0009" + "7231" + "00000000", ControlError.Truncated },    // string past end
        { "0000000E" + "0003" + "01" + "0000000000000001" + "09" + "0000", ControlError.BadEnumValue },           // close reason 9
        { "00000011" + "0004" + "01" + "00000001" + "00000002" + "00000003" + "03E9", ControlError.BadEnumValue },// use 1001‰
        { "0000000E" + "0005" + "01" + "0000000000000001" + "00" + "0000", ControlError.BadEnumValue },           // event kind 0
        { "00000016" + "0002" + "01" + "0000000000000001" + "0000" + "0000BB80" + "01" + "0014" + "0041", ControlError.TooManyItems },
        { "00000019" + "0002" + "01" + "0000000000000001" + "0000" + "0000BB80" + "01" + "0014" + "0001" + "0001" + "61", ControlError.Truncated },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_IsRejectedWithReason(string hex, ControlError expected)
    {
        Assert.False(ControlCodec.TryParse(Convert.FromHexString(hex), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void RandomBytes_NeverThrow()
    {
        var rng = new Random(3);
        var buf = new byte[200];
        var again = new byte[70000];
        int accepted = 0;
        for (int i = 0; i < 5000; i++)
        {
            int len = rng.Next(0, buf.Length);
            rng.NextBytes(buf.AsSpan(0, len));
            if (len >= 7 && i % 2 == 0)
            {
                // Make the framing valid so the body parsers see random bodies.
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(buf, (uint)(len - 4));
                buf[4] = 0; buf[5] = (byte)rng.Next(1, 9); buf[6] = 1;
            }
            if (!ControlCodec.TryParse(buf.AsSpan(0, len), out var m, out var error))
            {
                Assert.NotEqual(ControlError.None, error);
                continue;
            }
            accepted++;
            if (m is null) continue;
            int n = ControlCodec.WriteTo(m, again);
            Assert.True(ControlCodec.TryParse(again.AsSpan(0, n), out var m2, out _));
            Assert.Equal(m, m2);
        }
        Assert.True(accepted > 100, $"only {accepted} random records accepted");
    }
}

public class ControlStreamReaderTests
{
    [Fact]
    public void RecordsSplitAnyWay_AreReassembled()
    {
        ControlMessage[] sent =
        [
            new HelloMessage(1, NodeRole.Transceiver, "gpu-1", 32),
            new SessionOpenMessage(3, "opus", 48000, 1, 20, [new("k", "v")]),
            new SessionEventMessage(3, SessionEventKind.TranscriptPartial, new string('w', 5000)),
            new PingMessage(77),
        ];
        var stream = new MemoryStream();
        var buf = new byte[8192];
        foreach (var m in sent)
            stream.Write(buf, 0, ControlCodec.WriteTo(m, buf));
        stream.Write(Convert.FromHexString("00000004" + "7000" + "01" + "EE")); // unknown type in the middle
        stream.Write(buf, 0, ControlCodec.WriteTo(new PongMessage(77), buf));
        byte[] all = stream.ToArray();

        var rng = new Random(9);
        for (int trial = 0; trial < 50; trial++)
        {
            var reader = new ControlStreamReader();
            var got = new List<ControlMessage>();
            int skipped = 0;
            for (int pos = 0; pos < all.Length;)
            {
                int chunk = Math.Min(all.Length - pos, rng.Next(1, 700));
                reader.Append(all.AsSpan(pos, chunk));
                pos += chunk;
                while (true)
                {
                    var r = reader.TryRead(out var m, out var e);
                    if (r == ControlReadResult.NeedMore) break;
                    Assert.NotEqual(ControlReadResult.Malformed, r);
                    if (r == ControlReadResult.SkippedUnknown) skipped++;
                    else got.Add(m!);
                }
            }
            Assert.Equal(1, skipped);
            Assert.Equal([.. sent, new PongMessage(77)], got);
        }
    }

    [Fact]
    public void Malformed_StaysFailed()
    {
        var reader = new ControlStreamReader();
        reader.Append(Convert.FromHexString("0000000B" + "0006" + "00" + "0000000000000001"));
        Assert.Equal(ControlReadResult.Malformed, reader.TryRead(out _, out var e));
        Assert.Equal(ControlError.BadMessageVersion, e);
        reader.Append(new byte[20]);
        Assert.Equal(ControlReadResult.Malformed, reader.TryRead(out _, out e));
        Assert.Equal(ControlError.BadMessageVersion, e);
    }

    [Fact]
    public void OversizedLength_FailsBeforeBuffering()
    {
        var reader = new ControlStreamReader();
        reader.Append(Convert.FromHexString("7FFFFFFF"));
        Assert.Equal(ControlReadResult.Malformed, reader.TryRead(out _, out var e));
        Assert.Equal(ControlError.RecordTooLarge, e);
    }
}
