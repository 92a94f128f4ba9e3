namespace EdgeVoice.WebRtc.Dtls;

/// <summary>
/// Threads for BouncyCastle's blocking handshakes. A thread that finishes one waits a while for the next, so a call
/// setup does not pay for starting and tearing down a thread (stack, TLS, scheduler work: ~10% of relay setup CPU).
/// There is no cap here: the relay bounds handshakes in flight before it answers an offer.
/// </summary>
internal static class DtlsHandshakeThreads
{
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(30);
    private static readonly Lock s_gate = new();
    private static readonly List<Worker> s_idle = [];

    /// <summary>Threads waiting for a handshake now (tests).</summary>
    internal static int IdleCount
    {
        get
        {
            lock (s_gate)
                return s_idle.Count;
        }
    }

    /// <summary>Runs <paramref name="work"/> on a waiting thread, or a new one; the task ends when it returns or throws.</summary>
    public static Task Run(Action<object?> work, object? state)
    {
        var item = new WorkItem(work, state);
        lock (s_gate)
        {
            if (s_idle.Count > 0)
            {
                Worker worker = s_idle[^1];
                s_idle.RemoveAt(s_idle.Count - 1);
                worker.Assign(item);
                return item.Done.Task;
            }
        }
        new Worker(item).Start();
        return item.Done.Task;
    }

    private sealed class WorkItem(Action<object?> work, object? state)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Run()
        {
            try
            {
                work(state);
                Done.SetResult();
            }
            catch (Exception e)
            {
                Done.SetException(e);
            }
        }
    }

    private sealed class Worker(WorkItem first)
    {
        // No spinning before blocking: the next handshake is usually far away in CPU terms.
        private readonly ManualResetEventSlim _ready = new(initialState: false, spinCount: 0);
        private WorkItem? _next;

        public void Start() => new Thread(Loop) { IsBackground = true, Name = "edgevoice-dtls" }.Start();

        /// <summary>Hands this idle worker its next item; under the pool's lock.</summary>
        public void Assign(WorkItem item)
        {
            _next = item;
            _ready.Set();
        }

        private void Loop()
        {
            WorkItem? item = first;
            while (item is not null)
            {
                item.Run();
                item = WaitForNext();
            }
            _ready.Dispose();
        }

        private WorkItem? WaitForNext()
        {
            lock (s_gate)
            {
                _next = null;
                _ready.Reset();
                s_idle.Add(this);
            }
            _ready.Wait(IdleLifetime);
            lock (s_gate)
            {
                // Assigned, possibly just as the wait timed out: run it; otherwise leave the pool and end the thread.
                if (_next is { } next)
                    return next;
                s_idle.Remove(this);
                return null;
            }
        }
    }
}
