using EdgeVoice.WebRtc.Dtls;

namespace EdgeVoice.WebRtc.Tests.Dtls;

/// <summary>Handshake threads are reused after a handshake ends, and a failing handshake ends its task with the exception.</summary>
public class DtlsHandshakeThreadsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AFinishedThreadTakesTheNextHandshake()
    {
        var seen = new HashSet<int>();
        for (int i = 0; i < 5; i++)
        {
            int id = 0;
            await DtlsHandshakeThreads.Run(_ => id = Environment.CurrentManagedThreadId, null).WaitAsync(Limit);
            seen.Add(id);
            // The worker parks itself just after its task completes; wait for that so the next run can find it.
            Assert.True(SpinWait.SpinUntil(() => DtlsHandshakeThreads.IdleCount > 0, Limit));
        }
        Assert.DoesNotContain(0, seen);
        // Other tests may run handshakes meanwhile, so the very same thread is not guaranteed; a new thread per run is ruled out.
        Assert.True(seen.Count < 5, $"{seen.Count} threads for 5 sequential runs");
    }

    [Fact]
    public async Task ConcurrentHandshakesEachGetAThread()
    {
        using var release = new ManualResetEventSlim();
        int running = 0;
        var tasks = Enumerable.Range(0, 4).Select(_ => DtlsHandshakeThreads.Run(_ =>
        {
            Interlocked.Increment(ref running);
            release.Wait(Limit);
        }, null)).ToArray();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref running) == 4, Limit));
        release.Set();
        await Task.WhenAll(tasks).WaitAsync(Limit);
    }

    [Fact]
    public async Task AThrowingHandshakeFaultsItsTaskAndTheThreadLivesOn()
    {
        var failed = DtlsHandshakeThreads.Run(_ => throw new InvalidOperationException("boom"), null);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failed.WaitAsync(Limit));
        object? seen = null;
        await DtlsHandshakeThreads.Run(state => seen = state, "next").WaitAsync(Limit);
        Assert.Equal("next", seen);
    }
}
