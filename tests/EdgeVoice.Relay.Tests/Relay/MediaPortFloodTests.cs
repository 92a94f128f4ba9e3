using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using EdgeVoice.Testing;
using EdgeVoice.WebRtc.Ice;
using EdgeVoice.WebRtc.Stun;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.Relay;

/// <summary>
/// The one UDP port under a bounded flood of bad datagrams, from a live caller's own 5-tuple and from strangers, while
/// two calls are up: nothing crashes, both calls keep echoing, nothing reaches the other call, counters move, no state grows.
/// </summary>
public class MediaPortFloodTests(ITestOutputHelper output)
{
    private const int FloodDatagrams = 20_000;
    private const int Strangers = 4;
    private const int Replays = 100;

    [Fact]
    public async Task BadDatagramsAreCountedAndDroppedWhileCallsKeepEchoing()
    {
        await using var relay = await InProcessRelay.StartAsync();
        var counters = relay.Server.Counters;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var victim = await SyntheticCaller.ConnectAsync(relay.Client, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        using var bystander = await SyntheticCaller.ConnectAsync(relay.Client, relay.Http, InProcessRelay.ApiKey, cancel.Token);
        int legitimateFrames = 0;
        legitimateFrames += EchoRound(victim, 0x11, 5);
        legitimateFrames += EchoRound(bystander, 0x22, 5);

        // One valid packet of the victim's, delivered once now and replayed after the flood.
        byte[] captured = new byte[1500];
        int capturedLength = victim.ProtectFrame(Enumerable.Repeat((byte)0x11, 50).ToArray(), captured);
        victim.SendRaw(captured.AsSpan(0, capturedLength));
        legitimateFrames++;
        Assert.True(victim.TryReceiveFrame(TimeSpan.FromSeconds(2), new byte[1500], out _, out _));
        uint victimSsrc = BinaryPrimitives.ReadUInt32BigEndian(captured.AsSpan(8));

        var before = await relay.StatsAsync();
        var strangers = Enumerable.Range(0, Strangers).Select(_ => Stranger(relay.Server.MediaEndPoint)).ToArray();
        try
        {
            var junk = new Junk(new Random(20261125), victim.RelayUfrag, victimSsrc);
            byte[] datagram = new byte[1500];
            long sent = 0;
            long baseReceived = counters.DatagramsReceived;
            for (int i = 0; i < FloodDatagrams; i++)
            {
                int length = junk.Next(i, datagram);
                if (i % 2 == 0)
                    victim.SendRaw(datagram.AsSpan(0, length));
                else
                    strangers[i / 2 % Strangers].Send(datagram.AsSpan(0, length));
                sent++;
                if (sent % 1000 == 0)
                    await SettleAsync(() => counters.DatagramsReceived, baseReceived + sent - 1000);
            }
            await SettleAsync(() => counters.DatagramsReceived, baseReceived + sent, quietMs: 3000);

            var flooded = await relay.StatsAsync();
            output.WriteLine($"sent {sent}, read {flooded.DatagramsReceived - before.DatagramsReceived}: stun_malformed +{flooded.StunMalformed - before.StunMalformed}, " +
                $"stun_forged +{flooded.StunForged - before.StunForged}, stun_unknown_session +{flooded.StunUnknownSession - before.StunUnknownSession}, " +
                $"srtp_rejected +{flooded.SrtpRejected - before.SrtpRejected}, unrouted +{flooded.UnroutedDatagrams - before.UnroutedDatagrams}");
            Assert.True(flooded.StunMalformed > before.StunMalformed, "stun_malformed did not move");
            Assert.True(flooded.StunForged > before.StunForged, "stun_forged did not move");
            Assert.True(flooded.StunRejected > before.StunRejected, "stun_rejected did not move (valid ufrag, wrong MESSAGE-INTEGRITY)");
            Assert.True(flooded.StunUnknownSession > before.StunUnknownSession, "stun_unknown_session did not move");
            Assert.True(flooded.SrtpRejected > before.SrtpRejected, "srtp_rejected did not move");
            Assert.True(flooded.UnroutedDatagrams > before.UnroutedDatagrams, "unrouted_datagrams did not move");
            Assert.Equal(before.CallsConnected, flooded.CallsConnected);
            Assert.Equal(2, relay.Server.Sessions.Count);

            // Replays of the captured packet: rejected on the victim's 5-tuple, unrouted from strangers (no state was
            // made for them by the flood), never delivered as media.
            long received = counters.DatagramsReceived, rejected = counters.SrtpRejected, unrouted = counters.UnroutedDatagrams, rtp = counters.RtpReceived;
            for (int i = 0; i < Replays; i++)
            {
                victim.SendRaw(captured.AsSpan(0, capturedLength));
                strangers[i % Strangers].Send(captured.AsSpan(0, capturedLength));
            }
            await SettleAsync(() => counters.DatagramsReceived, received + 2 * Replays, quietMs: 3000);
            Assert.Equal(received + 2 * Replays, counters.DatagramsReceived);
            Assert.Equal(rejected + Replays, counters.SrtpRejected);
            Assert.Equal(unrouted + Replays, counters.UnroutedDatagrams);
            Assert.Equal(rtp, counters.RtpReceived);

            // Both calls still echo, each hears only itself, and only real frames ever counted as media.
            legitimateFrames += EchoRound(victim, 0x11, 10);
            legitimateFrames += EchoRound(bystander, 0x22, 10);
            var after = await relay.StatsAsync();
            Assert.Equal(legitimateFrames, after.RtpReceived);
            Assert.Equal(legitimateFrames, after.RtpSent);
            Assert.Equal(0, victim.UnreadableDatagrams);
            Assert.Equal(0, bystander.UnreadableDatagrams);
            Assert.Equal(2, relay.Server.Sessions.Count);

            // The relay answered none of it: no reflection or amplification towards strangers.
            foreach (var stranger in strangers)
                Assert.False(stranger.Poll(100_000, SelectMode.SelectRead), "the relay answered a stranger");
        }
        finally
        {
            foreach (var stranger in strangers)
                stranger.Dispose();
        }
    }

    /// <summary>Sends frames filled with <paramref name="fill"/> and expects each back with the same bytes; returns how many were sent.</summary>
    private static int EchoRound(SyntheticCaller caller, byte fill, int frames)
    {
        var payload = Enumerable.Repeat(fill, 50).ToArray();
        var received = new byte[1500];
        for (int i = 0; i < frames; i++)
        {
            caller.SendFrame(payload);
            Assert.True(caller.TryReceiveFrame(TimeSpan.FromSeconds(2), received, out int length, out _), $"frame {i} was not echoed");
            Assert.Equal(payload, received[..length]);
        }
        return frames;
    }

    private static Socket Stranger(IPEndPoint relay)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Connect(relay);
        return socket;
    }

    /// <summary>Waits until the relay has read <paramref name="target"/> datagrams, or its count stops moving for <paramref name="quietMs"/> (the kernel dropped some).</summary>
    private static async Task SettleAsync(Func<long> count, long target, int quietMs = 500)
    {
        long last = count();
        var still = Stopwatch.StartNew();
        while (last < target && still.Elapsed < TimeSpan.FromMilliseconds(quietMs))
        {
            await Task.Delay(5);
            long now = count();
            if (now != last)
            {
                last = now;
                still.Restart();
            }
        }
    }

    /// <summary>Bad datagrams of every kind the port demultiplexes, from a fixed seed.</summary>
    private sealed class Junk(Random random, string victimUfrag, uint victimSsrc)
    {
        private static readonly byte[] WrongSecret = Encoding.ASCII.GetBytes("not-the-relay-ufrag-secret-000000");
        private static readonly byte[] RelaySecret = Convert.FromBase64String(InProcessRelay.UfragSecretBase64);

        public int Next(int index, Span<byte> datagram) => (index % 10) switch
        {
            0 => RandomBytes(datagram),
            1 => TruncatedStun(datagram),
            2 => GarbledStun(datagram),
            3 => Stun(datagram, RandomIce(24)),
            4 => Stun(datagram, UfragToken.Mint(RandomId(), WrongSecret)),
            5 => Stun(datagram, victimUfrag),
            6 => Stun(datagram, UfragToken.Mint(RandomId(), RelaySecret)),
            7 => DtlsLooking(datagram),
            8 => Srtp(datagram),
            _ => Srtcp(datagram),
        };

        private int RandomBytes(Span<byte> datagram)
        {
            int length = random.Next(1, 1200);
            random.NextBytes(datagram[..length]);
            return length;
        }

        /// <summary>A binding request under a key the relay never issued (so: wrong MESSAGE-INTEGRITY).</summary>
        private int Stun(Span<byte> datagram, string recipientUfrag)
        {
            var transaction = new byte[12];
            random.NextBytes(transaction);
            var key = Encoding.ASCII.GetBytes(RandomIce(24));
            return StunWriter.WriteBindingRequest(datagram, transaction, Encoding.ASCII.GetBytes($"{recipientUfrag}:{RandomIce(4)}"),
                (uint)random.Next(), (ulong)random.NextInt64(), useCandidate: random.Next(2) == 0, key);
        }

        private int TruncatedStun(Span<byte> datagram)
        {
            int length = Stun(datagram, random.Next(2) == 0 ? victimUfrag : RandomIce(24));
            return random.Next(1, length);
        }

        private int GarbledStun(Span<byte> datagram)
        {
            int length = Stun(datagram, victimUfrag);
            for (int flips = random.Next(1, 4); flips > 0; flips--)
                datagram[random.Next(length)] ^= (byte)random.Next(1, 256);
            datagram[0] &= 0x03;
            return length;
        }

        /// <summary>DTLS records: well-formed headers (any content type, epoch 0-2) around random bodies, or a lying length.</summary>
        private int DtlsLooking(Span<byte> datagram)
        {
            int body = random.Next(0, 300);
            datagram[0] = (byte)random.Next(20, 26);
            datagram[1] = 0xFE;
            datagram[2] = 0xFD;
            BinaryPrimitives.WriteUInt16BigEndian(datagram[3..], (ushort)random.Next(0, 3));
            random.NextBytes(datagram.Slice(5, 6));
            BinaryPrimitives.WriteUInt16BigEndian(datagram[11..], (ushort)(random.Next(4) == 0 ? random.Next(0, 65536) : body));
            random.NextBytes(datagram.Slice(13, body));
            return 13 + body;
        }

        /// <summary>RTP whose SRTP tag is random; half carry the victim's own SSRC with far-off sequence numbers.</summary>
        private int Srtp(Span<byte> datagram)
        {
            int length = random.Next(12 + 10, 400);
            random.NextBytes(datagram[..length]);
            datagram[0] = 0x80;
            datagram[1] = (byte)(random.Next(2) == 0 ? 111 : random.Next(96, 128));
            if (random.Next(2) == 0)
                BinaryPrimitives.WriteUInt32BigEndian(datagram[8..], victimSsrc);
            return length;
        }

        private int Srtcp(Span<byte> datagram)
        {
            int words = random.Next(1, 40);
            int length = 4 + 4 * words + random.Next(0, 30);
            random.NextBytes(datagram[..length]);
            datagram[0] = 0x80;
            datagram[1] = (byte)random.Next(200, 207);
            BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], (ushort)words);
            return length;
        }

        private ulong RandomId() => (ulong)random.NextInt64();

        private string RandomIce(int length)
        {
            const string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            return string.Create(length, random, (span, r) =>
            {
                for (int i = 0; i < span.Length; i++)
                    span[i] = chars[r.Next(chars.Length)];
            });
        }
    }
}
