using System.Diagnostics;
using EdgeVoice.WebRtc.Dtls;

namespace EdgeVoice.WebRtc.Tests.Dtls;

/// <summary>Joins a DtlsClient and a DtlsServer with no sockets: hands each side's datagrams to the other.</summary>
internal sealed class DtlsLink
{
    private readonly SemaphoreSlim _ready = new(0);
    private int _serverWakes;

    public static readonly DtlsCertificate ClientCertificate = DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(30), "test client");
    public static readonly DtlsCertificate ServerCertificate = DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(30), "test relay");

    public DtlsLink(
        IReadOnlyList<EdgeVoice.WebRtc.Srtp.SrtpProfile>? clientProfiles = null,
        IReadOnlyList<EdgeVoice.WebRtc.Srtp.SrtpProfile>? serverProfiles = null,
        DtlsFingerprint? clientFingerprintInOffer = null,
        DtlsFingerprint? serverFingerprintInAnswer = null,
        TimeSpan? retransmit = null,
        DtlsCertificate? serverCertificate = null)
    {
        Action wake = () => _ready.Release();
        Action serverWake = () =>
        {
            Interlocked.Increment(ref _serverWakes);
            _ready.Release();
        };
        Client = new DtlsClient(ClientCertificate, serverFingerprintInAnswer ?? ServerCertificate.Fingerprint, clientProfiles, TimeSpan.FromSeconds(10), wake)
        {
            InitialRetransmit = retransmit ?? TimeSpan.FromSeconds(1),
        };
        Server = new DtlsServer(serverCertificate ?? ServerCertificate, clientFingerprintInOffer ?? ClientCertificate.Fingerprint, serverProfiles, TimeSpan.FromSeconds(10), serverWake)
        {
            InitialRetransmit = retransmit ?? TimeSpan.FromSeconds(1),
        };
    }

    public DtlsClient Client { get; }

    /// <summary>How often the server's worker woke its owner (its outputReady callback).</summary>
    public int ServerWakes => Volatile.Read(ref _serverWakes);

    public DtlsServer Server { get; }

    public List<DtlsEvent> ClientEvents { get; } = [];

    public List<DtlsEvent> ServerEvents { get; } = [];

    /// <summary>The virtual clock handed to both sides.</summary>
    public TimeSpan Now { get; set; } = TimeSpan.FromSeconds(100);

    public List<byte[]> ToServer { get; } = [];

    public List<byte[]> ToClient { get; } = [];

    /// <summary>Decides per server→client datagram whether it is lost.</summary>
    public Func<byte[], bool>? LoseToClient { get; set; }

    /// <summary>Decides per client→server datagram whether it is lost.</summary>
    public Func<byte[], bool>? LoseToServer { get; set; }

    public int LostToClient { get; private set; }

    public T? ClientEvent<T>() where T : DtlsEvent => ClientEvents.OfType<T>().FirstOrDefault();

    public T? ServerEvent<T>() where T : DtlsEvent => ServerEvents.OfType<T>().FirstOrDefault();

    public bool BothConnected => ClientEvent<DtlsEvent.Connected>() is not null && ServerEvent<DtlsEvent.Connected>() is not null;

    public void Start() => Client.Start(Now);

    /// <summary>Moves every pending datagram and event once; true when anything moved.</summary>
    public bool Progress()
    {
        bool moved = false;
        while (Client.TryPollTransmit(out ReadOnlyMemory<byte> datagram))
        {
            moved = true;
            byte[] bytes = datagram.ToArray();
            ToServer.Add(bytes);
            if (LoseToServer?.Invoke(bytes) != true)
                Server.HandleInput(bytes, Now);
        }
        while (Server.TryPollTransmit(out ReadOnlyMemory<byte> datagram))
        {
            moved = true;
            byte[] bytes = datagram.ToArray();
            ToClient.Add(bytes);
            if (LoseToClient?.Invoke(bytes) == true)
                LostToClient++;
            else
                Client.HandleInput(bytes, Now);
        }
        while (Client.TryPollEvent(out DtlsEvent? e))
        {
            moved = true;
            ClientEvents.Add(e);
        }
        while (Server.TryPollEvent(out DtlsEvent? e))
        {
            moved = true;
            ServerEvents.Add(e);
        }
        return moved;
    }

    /// <summary>Shuttles until <paramref name="done"/> holds; the workers are real threads, so this waits (bounded) on their wake-ups.</summary>
    public bool RunUntil(Func<DtlsLink, bool> done, int budgetMilliseconds = 1900)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < budgetMilliseconds)
        {
            bool moved = Progress();
            if (done(this))
                return true;
            if (!moved)
                _ready.Wait(5);
        }
        Progress();
        return done(this);
    }

    /// <summary>Waits (bounded) until neither side has a worker or work item running.</summary>
    public static bool WaitForWorkersToEnd(IEnumerable<DtlsEndpoint> endpoints, int budgetMilliseconds = 1000)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < budgetMilliseconds)
        {
            if (endpoints.All(e => !e.IsWorkerRunning))
                return true;
            Thread.Sleep(2);
        }
        return endpoints.All(e => !e.IsWorkerRunning);
    }
}

/// <summary>One handshake before a class's tests, so BouncyCastle's JIT cost does not eat a test's time budget.</summary>
public sealed class DtlsWarmHandshake
{
    public DtlsWarmHandshake()
    {
        var link = new DtlsLink();
        link.Start();
        link.RunUntil(l => l.BothConnected, 10_000);
        link.Client.Close();
        link.RunUntil(l => l.ServerEvent<DtlsEvent.Closed>() is not null, 2_000);
    }
}
