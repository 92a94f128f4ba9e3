using System.Buffers.Binary;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Media;
using EdgeVoice.Tunnel.Quic;

namespace EdgeVoice.Tunnel.Tests;

public class TunnelTrafficTests(TestPki pki) : IClassFixture<TestPki>
{
    private const int Frames = 10_000;

    /// <summary>A payload that says which frame it belongs to, so corruption or mix-ups show.</summary>
    private static int FillPayload(Span<byte> payload, ulong session, uint sequence)
    {
        int length = 40 + (int)(sequence % 120);
        for (int i = 0; i < length; i++)
            payload[i] = (byte)(sequence * 31 + (uint)i * 7 + session);
        return length;
    }

    private static void CheckFrame(ReadOnlySpan<byte> bytes, ulong session, MediaDirection direction, HashSet<uint> seen)
    {
        Assert.True(MediaFrame.TryParse(bytes, out var frame, out var error), error.ToString());
        Assert.Equal(session, frame.SessionId);
        Assert.Equal(direction, frame.Direction);
        Assert.Equal(frame.Sequence * 960, frame.RtpTimestamp);
        Span<byte> expected = stackalloc byte[200];
        int n = FillPayload(expected, session, frame.Sequence);
        Assert.True(frame.Payload.SequenceEqual(expected[..n]), $"payload of frame {frame.Sequence} differs");
        Assert.True(seen.Add(frame.Sequence), $"frame {frame.Sequence} delivered twice");
    }

    private static int Pump(VirtualLink link, ulong session, uint[] next)
    {
        Span<byte> payload = stackalloc byte[200];
        int sent = 0;
        while (next[0] < Frames)
        {
            int n = FillPayload(payload, session, next[0]);
            if (!link.Client.TrySendMedia(new MediaFrame(session, MediaDirection.Uplink, next[0], next[0] * 960, 0, payload[..n]))) break;
            next[0]++; sent++;
        }
        while (next[1] < Frames)
        {
            int n = FillPayload(payload, session, next[1]);
            if (!link.ServerConnection.TrySendMedia(new MediaFrame(session, MediaDirection.Downlink, next[1], next[1] * 960, 0, payload[..n]))) break;
            next[1]++; sent++;
        }
        return sent;
    }

    private static void Exchange(VirtualLink link, double lossRate, out HashSet<uint> up, out HashSet<uint> down)
    {
        const ulong session = 0xABCDEF;
        link.LossRate = lossRate;
        var buffer = new byte[2048];
        up = [];
        down = [];
        var next = new uint[2];
        for (int step = 0; step < 200_000 && (next[0] < Frames || next[1] < Frames || link.Client.ReceivedMediaPending > 0); step++)
        {
            Pump(link, session, next);
            link.Step();
            while (link.ServerConnection.TryReceiveMedia(buffer, out int n)) CheckFrame(buffer.AsSpan(0, n), session, MediaDirection.Uplink, up);
            while (link.Client.TryReceiveMedia(buffer, out int n)) CheckFrame(buffer.AsSpan(0, n), session, MediaDirection.Downlink, down);
        }
        for (int i = 0; i < 200; i++) link.Step(); // let the last packets land
        while (link.ServerConnection.TryReceiveMedia(buffer, out int n)) CheckFrame(buffer.AsSpan(0, n), session, MediaDirection.Uplink, up);
        while (link.Client.TryReceiveMedia(buffer, out int n)) CheckFrame(buffer.AsSpan(0, n), session, MediaDirection.Downlink, down);
        Assert.Equal(Frames, (int)next[0]);
        Assert.Equal(Frames, (int)next[1]);
    }

    [Fact]
    public void TenThousandFramesEachWay_ArriveIntact()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        Exchange(link, 0, out var up, out var down);

        Assert.Equal(Frames, up.Count);
        Assert.Equal(Frames, down.Count);
        var upLoss = link.ServerConnection.LossCounter(0xABCDEF, MediaDirection.Uplink)!;
        Assert.Equal(0, upLoss.Lost);
        Assert.Equal(Frames, upLoss.Received);
        Assert.Equal(0, link.Client.LossCounter(0xABCDEF, MediaDirection.Downlink)!.Lost);
        Assert.Equal(TunnelState.Connected, link.Client.State);
    }

    [Fact]
    public void LossyLink_FramesArriveIntactOrAreCountedLost()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        Exchange(link, 0.05, out var up, out var down);

        var upLoss = link.ServerConnection.LossCounter(0xABCDEF, MediaDirection.Uplink)!;
        var downLoss = link.Client.LossCounter(0xABCDEF, MediaDirection.Downlink)!;
        string Describe(MediaLossCounter l, TunnelConnection c, HashSet<uint> got) =>
            $"got={got.Count} min={got.Min()} max={got.Max()} received={l.Received} lost={l.Lost} late={l.Late} stale={l.Stale} dup={l.Duplicates} rxfull={c.MediaFramesDroppedReceiveQueueFull} malformed={c.MediaFramesMalformed}";
        // Every frame is either delivered or counted lost (the counter starts at the first frame that
        // arrives, so frames before it and after the last are added here); the counter agrees with what arrived.
        Assert.True(Frames == up.Count + upLoss.Lost + up.Min() + (Frames - 1 - up.Max()), Describe(upLoss, link.ServerConnection, up));
        Assert.Equal(up.Count, upLoss.Received);
        Assert.True(Frames == down.Count + downLoss.Lost + down.Min() + (Frames - 1 - down.Max()), Describe(downLoss, link.Client, down));
        Assert.Equal(down.Count, downLoss.Received);
        Assert.InRange(upLoss.Lost, 1, Frames / 5);
        Assert.InRange(downLoss.Lost, 1, Frames / 5);
        Assert.Equal(TunnelState.Connected, link.Client.State);
    }

    [Fact]
    public void ControlMessages_RoundTripBothWays()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        ControlMessage[] up =
        [
            new SessionOpenMessage(7, "opus", 48000, 1, 20, [new("agent", "support"), new("lang", "en")]),
            new PingMessage(99),
            new SessionCloseMessage(7, SessionCloseReason.ClientGone, "browser left"),
        ];
        ControlMessage[] down =
        [
            new LoadReportMessage(3, 64, 2, 415),
            new SessionEventMessage(7, SessionEventKind.TranscriptFinal, "what is the weather " + new string('x', 3000)),
            new SessionEventMessage(7, SessionEventKind.AgentState, "speaking"),
            new PongMessage(99),
        ];
        foreach (var m in up) link.Client.SendControl(m);
        foreach (var m in down) link.ServerConnection.SendControl(m);
        link.RunUntil(() => link.ServerEvents.Count(e => e.Event.Kind == TunnelEventKind.Message) == up.Length
                            && link.ClientEvents.Count(e => e.Kind == TunnelEventKind.Message) == down.Length, TimeSpan.FromSeconds(2));

        Assert.Equal(up, link.ServerEvents.Where(e => e.Event.Kind == TunnelEventKind.Message).Select(e => e.Event.Message));
        Assert.Equal(down, link.ClientEvents.Where(e => e.Kind == TunnelEventKind.Message).Select(e => e.Message));
    }

    [Fact]
    public void ControlMessages_AllArriveOverLossyLink()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        link.LossRate = 0.05;
        for (uint i = 0; i < 300; i++)
            link.Client.SendControl(new PingMessage(i));
        link.RunUntil(() => link.ServerEvents.Count(e => e.Event.Kind == TunnelEventKind.Message) == 300, TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (ControlMessage)new PingMessage((ulong)i)),
            link.ServerEvents.Where(e => e.Event.Kind == TunnelEventKind.Message).Select(e => e.Event.Message));
    }

    [Fact]
    public void MalformedControlRecord_ClosesWithReason_NoCrash()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        // A raw record with message version 0 goes straight onto the stream.
        link.Client.SendRawControlForTest(Convert.FromHexString("0000000B" + "0006" + "00" + "0000000000000001"));
        link.RunUntil(() => link.Client.State == TunnelState.Closed, TimeSpan.FromSeconds(2));

        var closed = Assert.Single(link.ServerEvents, e => e.Event.Kind == TunnelEventKind.Closed).Event;
        Assert.Equal(TunnelError.MalformedControl, closed.Error);
        Assert.Contains("BadMessageVersion", closed.Detail);
        Assert.Equal(TunnelError.ClosedByPeer, Assert.Single(link.ClientEvents, e => e.Kind == TunnelEventKind.Closed).Error);
    }

    [Fact]
    public void UnknownControlType_IsSkipped_ConnectionStays()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        link.Client.SendRawControlForTest(Convert.FromHexString("00000005" + "7F00" + "01" + "ABCD"));
        link.Client.SendControl(new PingMessage(5));
        link.RunUntil(() => link.ServerEvents.Any(e => e.Event.Kind == TunnelEventKind.Message), TimeSpan.FromSeconds(2));
        Assert.Equal(new PingMessage(5), Assert.Single(link.ServerEvents, e => e.Event.Kind == TunnelEventKind.Message).Event.Message);
        Assert.Equal(1, link.ServerConnection.ControlMessagesSkipped);
        Assert.Equal(TunnelState.Connected, link.ServerConnection.State);
    }

    [Fact]
    public void MalformedDatagram_IsCountedAndDropped()
    {
        using var link = new VirtualLink(pki);
        Assert.True(link.Connect());
        link.Client.SendRawDatagramForTest([0x09, 0x00, 0x00, 0x14]);
        link.Client.SendRawDatagramForTest([]);
        link.RunUntil(() => link.ServerConnection.MediaFramesMalformed == 2, TimeSpan.FromSeconds(1));
        Assert.Equal(2, link.ServerConnection.MediaFramesMalformed);
        Assert.Equal(0, link.ServerConnection.ReceivedMediaPending);
        Assert.Equal(TunnelState.Connected, link.ServerConnection.State);
    }

    [Fact]
    public void IdleLink_StaysUpOnKeepalives_ThenTimesOutWhenCut()
    {
        using var link = new VirtualLink(pki, idleTimeout: TimeSpan.FromSeconds(3));
        Assert.True(link.Connect());
        link.RunUntil(() => false, TimeSpan.FromSeconds(30)); // 30 virtual seconds, no application traffic
        Assert.Equal(TunnelState.Connected, link.Client.State);
        Assert.Equal(TunnelState.Connected, link.ServerConnection.State);

        link.Partitioned = true;
        link.RunUntil(() => link.Client.State == TunnelState.Closed, TimeSpan.FromSeconds(10));
        Assert.Equal(TunnelError.IdleTimeout, Assert.Single(link.ClientEvents, e => e.Kind == TunnelEventKind.Closed).Error);
    }

    [Fact]
    public void PathBreaks_BothSidesSeeDisconnect_RedialIsAReconnectOnTheServer()
    {
        using var link = new VirtualLink(pki, idleTimeout: TimeSpan.FromSeconds(2));
        Assert.True(link.Connect());
        link.Partitioned = true;
        link.RunUntil(() => link.Client.State == TunnelState.Closed && link.Server.Connections.Count == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(TunnelError.IdleTimeout, Assert.Single(link.ClientEvents, e => e.Kind == TunnelEventKind.Closed).Error);
        Assert.Equal(TunnelError.IdleTimeout, Assert.Single(link.ServerEvents, e => e.Event.Kind == TunnelEventKind.Closed).Event.Error);

        link.Partitioned = false;
        link.Redial();
        Assert.True(link.Connect());
        Assert.Equal(["Connected", "Closed", "Reconnected"], link.ServerEvents.Select(e => e.Event.Kind.ToString()));
        link.Client.SendControl(new PingMessage(3));
        link.RunUntil(() => link.ServerEvents.Any(e => e.Event.Message is PingMessage), TimeSpan.FromSeconds(1));
        Assert.Contains(link.ServerEvents, e => e.Event.Message is PingMessage { Nonce: 3 });
    }
}
