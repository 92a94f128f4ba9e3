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
    public void A_frame_after_a_pause_wakes_the_loop_at_once_and_one_within_a_paced_stream_waits_for_its_tick()
    {
        var now = TimeSpan.FromSeconds(1);
        int ticks = 0, atOnce = 0;
        var feed = new CallerFeed(() => ticks++, wakeNow: () => atOnce++, clock: () => now);
        var payload = new byte[CallerFeed.MaxPayload];
        feed.Enqueue(1, 0, false, [1]);  // nothing paced yet: a talkspurt starts
        feed.Enqueue(2, 0, false, [2]);  // not empty: no wake at all
        Assert.Equal((0, 1), (ticks, atOnce));
        while (feed.TryDequeue(payload, out _, out _, out _, out _)) { }
        feed.PacedUntil(now + TimeSpan.FromMilliseconds(80));
        now += TimeSpan.FromMilliseconds(20);
        feed.Enqueue(3, 0, false, [3]);  // inside the paced stream
        Assert.Equal((1, 1), (ticks, atOnce));
        feed.TryDequeue(payload, out _, out _, out _, out _);
        now += TimeSpan.FromMilliseconds(100);
        feed.Enqueue(4, 0, false, [4]);  // after the pacing ran out: the next talkspurt
        Assert.Equal((1, 2), (ticks, atOnce));
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
                var bytes = new byte[random.Next(1, 200)];
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

    [Fact]
    public void A_five_second_reply_that_arrives_at_once_is_kept_whole_from_its_first_frame()
    {
        // A transceiver's reply follows the caller's frames; after a stall they all come at once.
        var feed = new CallerFeed(() => { });
        for (ushort s = 0; s < CallerFeed.DefaultCapacity; s++)
            feed.Enqueue(s, s * 960u, s == 0, Frame(s, 200));
        Assert.Equal(0, feed.Dropped);
        Assert.Equal(CallerFeed.DefaultCapacity, feed.Count);
        var payload = new byte[CallerFeed.MaxPayload];
        for (ushort s = 0; s < CallerFeed.DefaultCapacity; s++)
        {
            Assert.True(feed.TryDequeue(payload, out int length, out ushort sequence, out _, out bool marker));
            Assert.Equal((s, s == 0), (sequence, marker));
            Assert.True(payload.AsSpan(0, length).SequenceEqual(Frame(s, 200)));
        }
    }

    [Fact]
    public void A_feed_full_of_bytes_drops_its_oldest_frames_until_the_new_one_fits()
    {
        var feed = new CallerFeed(() => { }, capacity: 100, bufferBytes: CallerFeed.MaxPayload);
        for (ushort s = 0; s < 4; s++)
            feed.Enqueue(s, 0, false, Frame(s, 300));
        // 1200 bytes held; 700 more fit at the start once the three oldest frames are gone (the newest starts at 900).
        feed.Enqueue(4, 0, false, Frame(4, 700));
        Assert.Equal(3, feed.Dropped);
        var payload = new byte[CallerFeed.MaxPayload];
        foreach (var (expected, size) in ((ushort, int)[])[(3, 300), (4, 700)])
        {
            Assert.True(feed.TryDequeue(payload, out int length, out ushort sequence, out _, out _));
            Assert.Equal((expected, size), (sequence, length));
            Assert.True(payload.AsSpan(0, length).SequenceEqual(Frame(expected, size)));
        }
        Assert.False(feed.TryDequeue(payload, out _, out _, out _, out _));
    }

    [Fact]
    public void Empty_payloads_are_no_frames_and_are_ignored()
    {
        int wakes = 0;
        var feed = new CallerFeed(() => wakes++);
        feed.Enqueue(1, 0, false, []);
        Assert.Equal((0, 0L, 0), (feed.Count, feed.Dropped, wakes));
    }

    [Fact]
    public void Random_use_of_a_small_buffer_keeps_frames_intact_in_order_and_drops_only_the_oldest()
    {
        var random = new Random(4321);
        const int buffer = CallerFeed.MaxPayload + 500;
        var feed = new CallerFeed(() => { }, capacity: 12, bufferBytes: buffer);
        var sent = new Dictionary<ushort, byte[]>();
        var payload = new byte[CallerFeed.MaxPayload];
        ushort next = 0;
        int lastOut = -1;
        int taken = 0;
        for (int i = 0; i < 20000; i++)
        {
            if (random.Next(5) > 1)
            {
                var bytes = new byte[random.Next(1, random.Next(2) == 0 ? 40 : CallerFeed.MaxPayload + 1)];
                random.NextBytes(bytes);
                sent[next] = bytes;
                feed.Enqueue(next++, 0, false, bytes);
            }
            else if (feed.TryDequeue(payload, out int length, out ushort sequence, out _, out _))
            {
                // In order; whatever was skipped was older than every frame still held, so it was dropped.
                Assert.True(sequence > lastOut, $"frame {sequence} after {lastOut}");
                Assert.True(payload.AsSpan(0, length).SequenceEqual(sent[sequence]), $"frame {sequence} came out changed");
                lastOut = sequence;
                taken++;
            }
            Assert.InRange(feed.Count, 0, 12);
            // Every frame is held, dropped or taken: none is lost without being counted.
            Assert.Equal(next, taken + feed.Dropped + feed.Count);
        }
        Assert.True(feed.Dropped > 0, "the buffer never filled: the test did not exercise the drops");
    }

    [Fact]
    public void Takes_its_buffer_from_the_pool_with_the_first_frame_and_gives_it_back_when_released()
    {
        var pool = new FeedBufferPool(CallerFeed.DefaultBufferBytes, keepAtMost: 4);
        pool.Return(pool.Rent());
        var feed = new CallerFeed(() => { }, buffers: pool);
        Assert.Equal(1, pool.Free);

        feed.Enqueue(1, 0, false, [1, 2, 3]);
        Assert.Equal(0, pool.Free);
        feed.Release();
        Assert.Equal(1, pool.Free);
        Assert.Equal(0, feed.Count);

        // After the call: frames are ignored, nothing comes out, and the buffer is not taken again or given back twice.
        feed.Enqueue(2, 0, false, [4]);
        feed.Release();
        Assert.False(feed.TryDequeue(new byte[CallerFeed.MaxPayload], out _, out _, out _, out _));
        Assert.Equal(1, pool.Free);
        Assert.Equal(0, feed.Dropped);
    }

    [Fact]
    public void A_feed_that_never_got_a_frame_takes_no_buffer()
    {
        var pool = new FeedBufferPool(CallerFeed.DefaultBufferBytes, keepAtMost: 4);
        var feed = new CallerFeed(() => { }, buffers: pool);
        feed.Release();
        Assert.Equal(0, pool.Free);
    }

    [Fact]
    public void The_next_call_on_a_reused_buffer_gets_only_its_own_frames()
    {
        var pool = new FeedBufferPool(CallerFeed.DefaultBufferBytes, keepAtMost: 1);
        var first = new CallerFeed(() => { }, buffers: pool);
        for (ushort sequence = 0; sequence < 200; sequence++)
            first.Enqueue(sequence, 0, false, Frame(sequence, 300));
        first.Release();
        Assert.Equal(1, pool.Free);

        var second = new CallerFeed(() => { }, buffers: pool);
        second.Enqueue(1, 0, false, [9]);
        second.Enqueue(2, 0, false, [8, 7]);
        Assert.Equal(0, pool.Free);
        var payload = new byte[CallerFeed.MaxPayload];
        Assert.True(second.TryDequeue(payload, out int length, out ushort sequence2, out _, out _));
        Assert.Equal((1, (ushort)1), (length, sequence2));
        Assert.Equal(9, payload[0]);
        Assert.True(second.TryDequeue(payload, out length, out _, out _, out _));
        Assert.Equal([8, 7], payload[..length]);
        Assert.False(second.TryDequeue(payload, out _, out _, out _, out _));
    }

    [Fact]
    public void The_pool_keeps_at_most_its_bound_and_refuses_foreign_buffers()
    {
        var pool = new FeedBufferPool(2000, keepAtMost: 2);
        byte[][] rented = [pool.Rent(), pool.Rent(), pool.Rent()];
        Assert.All(rented, buffer => Assert.Equal(2000, buffer.Length));
        foreach (byte[] buffer in rented)
            pool.Return(buffer);
        Assert.Equal(2, pool.Free);
        Assert.Same(rented[1], pool.Rent());
        Assert.Throws<ArgumentException>(() => pool.Return(new byte[100]));
        Assert.Throws<ArgumentException>(() => new CallerFeed(() => { }, bufferBytes: 4000, buffers: pool));
    }

    private static byte[] Frame(ushort sequence, int length)
    {
        var bytes = new byte[length];
        new Random(sequence).NextBytes(bytes);
        return bytes;
    }
}
