using EdgeVoice.Relay.Sessions;

namespace EdgeVoice.Relay.Tests.Sessions;

public sealed class CallerFeedTests
{
    [Fact]
    public void Frames_come_out_in_order_with_their_fields()
    {
        var feed = new CallerFeed(() => { }, capacity: 4);
        feed.Enqueue(7, 960, true, [1, 2, 3]);
        feed.Enqueue(8, 1920, false, [4]);
        var payload = new byte[CallerFeed.MaxPayload];
        Assert.True(feed.TryDequeue(payload, out int length, out ushort sequence, out uint timestamp, out bool marker));
        Assert.Equal((3, (ushort)7, 960u, true), (length, sequence, timestamp, marker));
        Assert.Equal([1, 2, 3], payload[..3]);
        Assert.True(feed.TryDequeue(payload, out length, out sequence, out timestamp, out marker));
        Assert.Equal((1, (ushort)8, 1920u, false), (length, sequence, timestamp, marker));
        Assert.False(feed.TryDequeue(payload, out _, out _, out _, out _));
    }

    [Fact]
    public void Wakes_the_loop_only_when_it_stops_being_empty_or_on_an_end_request()
    {
        int wakes = 0;
        var feed = new CallerFeed(() => wakes++, capacity: 4);
        feed.Enqueue(1, 0, false, [1]);
        feed.Enqueue(2, 0, false, [2]);
        Assert.Equal(1, wakes);
        var payload = new byte[CallerFeed.MaxPayload];
        while (feed.TryDequeue(payload, out _, out _, out _, out _)) { }
        feed.Enqueue(3, 0, false, [3]);
        Assert.Equal(2, wakes);
        Assert.False(feed.EndRequested);
        feed.RequestEnd("transceiver gone");
        feed.RequestEnd("second reason");
        Assert.Equal(4, wakes);
        Assert.Equal("transceiver gone", feed.EndReason);
    }

    [Fact]
    public void A_full_feed_drops_its_oldest_frame_and_oversized_frames_are_dropped()
    {
        var feed = new CallerFeed(() => { }, capacity: 3);
        for (ushort s = 0; s < 5; s++)
            feed.Enqueue(s, s, false, [(byte)s]);
        feed.Enqueue(99, 0, false, new byte[CallerFeed.MaxPayload + 1]);
        Assert.Equal(3, feed.Dropped);
        var payload = new byte[CallerFeed.MaxPayload];
        var sequences = new List<ushort>();
        while (feed.TryDequeue(payload, out _, out ushort sequence, out _, out _))
            sequences.Add(sequence);
        Assert.Equal([2, 3, 4], sequences);
    }

    [Fact]
    public void Random_use_matches_a_bounded_queue_model()
    {
        var random = new Random(1234);
        var feed = new CallerFeed(() => { }, capacity: 8);
        var model = new Queue<(ushort, byte[])>();
        var payload = new byte[CallerFeed.MaxPayload];
        ushort next = 0;
        for (int i = 0; i < 5000; i++)
        {
            if (random.Next(3) > 0)
            {
                var bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
                feed.Enqueue(next, 0, false, bytes);
                if (model.Count == 8) model.Dequeue();
                model.Enqueue((next++, bytes));
            }
            else
            {
                bool got = feed.TryDequeue(payload, out int length, out ushort sequence, out _, out _);
                Assert.Equal(model.Count > 0, got);
                if (!got) continue;
                var (expectedSequence, expectedBytes) = model.Dequeue();
                Assert.Equal(expectedSequence, sequence);
                Assert.True(payload.AsSpan(0, length).SequenceEqual(expectedBytes));
            }
            Assert.Equal(model.Count, feed.Count);
        }
    }
}
