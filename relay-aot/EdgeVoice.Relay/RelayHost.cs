using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using EdgeVoice.Relay.Configuration;
using EdgeVoice.Relay.Media;
using EdgeVoice.Relay.Sessions;
using EdgeVoice.Relay.Signaling;
using EdgeVoice.Relay.Transceivers;
using EdgeVoice.Tunnel.Config;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.WebRtc.Dtls;
using EdgeVoice.WebRtc.Ice;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace EdgeVoice.Relay;

/// <summary>The relay process: validated YAML configuration, then a <see cref="RelayServer"/> until SIGTERM.</summary>
public static class RelayHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        RelayOptions options;
        try
        {
            options = RelayOptionsLoader.Load(args, Environment.GetEnvironmentVariables());
        }
        catch (RelayConfigurationException ex)
        {
            Console.Error.WriteLine($"edgevoice-relay: {ex.Message}");
            return 2;
        }
        RelayServer server;
        try
        {
            server = RelayServer.Create(options);
        }
        catch (RelayStartException ex)
        {
            Console.Error.WriteLine($"edgevoice-relay: {ex.Message}");
            return 3;
        }
        await using (server)
            await server.App.RunAsync();
        return 0;
    }
}

/// <summary>A start-up failure the operator can fix (port taken, certificate unreadable); the message says which.</summary>
public sealed class RelayStartException(string message, Exception inner) : Exception(message, inner);

/// <summary>Kestrel for signaling, the media loop on one UDP port, systemd integration, wired from <see cref="RelayOptions"/>.</summary>
public sealed class RelayServer : IAsyncDisposable
{
    private readonly MediaLoop _loop;
    private readonly TransceiverPool? _pool;

    private RelayServer(WebApplication app, MediaLoop loop, SessionTable table, DtlsCertificate certificate, TransceiverPool? pool)
    {
        App = app;
        _loop = loop;
        _pool = pool;
        Sessions = table;
        Certificate = certificate;
    }

    public WebApplication App { get; }
    internal SessionTable Sessions { get; }
    internal RelayCounters Counters => _loop.Counters;
    public DtlsCertificate Certificate { get; }
    public IPEndPoint MediaEndPoint => _loop.LocalEndPoint;

    /// <summary>The first HTTP address Kestrel listens on (after <c>StartAsync</c>; resolves port 0).</summary>
    public Uri HttpAddress =>
        new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static RelayServer Create(RelayOptions options, ISessionHandlerFactory? handlers = null)
    {
        // The relay reads relay.yaml, not appsettings*.json, and must not watch for them: the host's default watch is a
        // recursive inotify watch on its working directory, which under systemd is / (the whole file system: seconds of
        // start-up, thousands of watches).
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Host.UseSystemd();
        builder.Logging.SetMinimumLevel(options.Logging.Level);
        // One line per HTTP request is noise in the journal; the relay logs calls itself.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        ConfigureKestrel(builder, options.Http);
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeVoice.Relay");

        DtlsCertificate certificate;
        UdpBatchSocket socket;
        try
        {
            certificate = LoadOrCreateCertificate(options.Dtls, logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            throw new RelayStartException($"dtls certificate {options.Dtls.CertificatePath}: {ex.Message}", ex);
        }
        try
        {
            socket = new UdpBatchSocket(options.Media.ListenEndPoint);
        }
        catch (SocketException ex)
        {
            throw new RelayStartException($"media.udp_port: cannot bind udp {options.Media.ListenEndPoint}: {ex.Message}", ex);
        }

        var table = new SessionTable(options.Limits.MaxSessions);
        var loop = new MediaLoop(socket, table, options.Ice.UfragSecret, options.Media.BatchWindow, logger);
        // Port 0 binds any free port (tests); the answer must then carry the port actually bound.
        int publicPort = options.Media.PublicPort == 0 ? socket.LocalEndPoint.Port : options.Media.PublicPort;
        var settings = new MediaSettings(
            options.Ice.UfragSecret,
            options.Media.PublicIp,
            publicPort,
            new IceLiteOptions { ConsentTimeout = options.Ice.ConsentTimeout, ConnectTimeout = options.Ice.ConnectTimeout },
            HandshakeTimeout: options.Ice.ConnectTimeout,
            MaxConnecting: options.Limits.MaxHandshakesInFlight);
        TransceiverPool? pool = handlers is null && options.Transceivers is { } transceivers ? CreatePool(options.ConfigPath, transceivers, options.Notices, logger) : null;
        var admission = new CallAdmission(table, loop, certificate, handlers ?? pool ?? (ISessionHandlerFactory)new EchoSessionHandlerFactory(), settings, logger);
        var signaling = new SignalingEndpoints(admission, new CallerAuthorizer(options.Auth), new RelayMetrics(table, loop.Counters, pool),
            (options.Metrics ?? new MetricsOptions(MetricsAccess.ApiKey)).Access, options.Limits.MaxOfferBytes, logger, pool);

        new CorsPolicy(options.Cors).Use(app);
        signaling.Map(app);
        if (options.Demo.PagePath is { } page)
            DemoPage.Map(app, page, new CallerAuthorizer(options.Auth), options.Auth.ApiKeys[0].Id);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            loop.Start();
            pool?.Start();
            logger.LogInformation("media on udp {Local} (advertised {PublicIp}:{PublicPort}), DTLS fingerprint {Fingerprint}, batch window {Window} ms, SRTP AES-GCM on {Gcm}",
                socket.LocalEndPoint, options.Media.PublicIp, publicPort, certificate.SdpFingerprint,
                options.Media.BatchWindow.TotalMilliseconds, EdgeVoice.WebRtc.Srtp.SrtpContext.GcmImplementation);
        });
        // Graceful stop: every caller gets RTCP BYE and DTLS close_notify before the process exits.
        app.Lifetime.ApplicationStopping.Register(loop.Stop);
        return new RelayServer(app, loop, table, certificate, pool);
    }

    /// <summary>The transceivers this relay places calls on, and what it knows of their load.</summary>
    internal IReadOnlyList<TransceiverLink> Transceivers => _pool?.Links ?? [];

    /// <summary>The transceiver pool (null when the relay echoes), for its failover counters.</summary>
    internal TransceiverPool? Pool => _pool;

    /// <summary>Tunnel options from the <c>transceivers:</c> section, checked by the tunnel library's own certificate checks.</summary>
    private static TransceiverPool CreatePool(string configPath, TransceiverPoolOptions transceivers, NoticesOptions? notices, ILogger logger)
    {
        var tunnel = new TunnelConfig
        {
            File = configPath,
            Role = NodeRole.Relay,
            Name = transceivers.NodeName,
            CertificatePath = transceivers.CertificatePath,
            KeyPath = transceivers.KeyPath,
            CaPath = transceivers.CaPath,
            Peers = transceivers.Pool.Select(t => new TunnelPeer(t.Name, t.Address)).ToList(),
        };
        try
        {
            var options = tunnel.CreateOptions(logger);
            return new TransceiverPool(transceivers.Pool, options, EdgeVoice.Tunnel.Pki.PkiFiles.LoadCertificate(transceivers.CaPath), logger,
                transceivers.PingInterval, transceivers.DeadAfter)
            {
                NoTransceiverNotice = notices?.NoTransceiver ?? Notices.NoticeAudio.NoTransceiver,
            };
        }
        catch (TunnelConfigException ex)
        {
            throw new RelayStartException($"transceivers: {ex.Message}", ex);
        }
        catch (PlatformNotSupportedException ex)
        {
            throw new RelayStartException($"transceivers: the QUIC tunnel library cannot load ({ex.Message}); install libngtcp2-9, libngtcp2-crypto-gnutls2 and libgnutls30", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        _loop.Stop();
        _loop.Dispose();
        _pool?.Dispose();
    }

    private static void ConfigureKestrel(WebApplicationBuilder builder, HttpOptions http)
    {
        builder.WebHost.UseUrls([.. http.ListenUrls]);
        if (http.CertificatePath is null || http.KeyPath is null)
            return;
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(http.CertificatePath, http.KeyPath);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new RelayStartException($"http.certificate_path {http.CertificatePath}: {ex.Message}", ex);
        }
        // The slim builder leaves HTTPS out: without this an https:// listen URL fails at start.
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
    }

    private static DtlsCertificate LoadOrCreateCertificate(DtlsOptions dtls, ILogger logger)
    {
        if (dtls.CertificatePath is not null && dtls.KeyPath is not null)
            return DtlsCertificate.LoadPem(dtls.CertificatePath, dtls.KeyPath);
        logger.LogInformation("no dtls certificate configured: generated an ECDSA P-256 certificate for this run");
        return DtlsCertificate.Generate(DateTimeOffset.UtcNow, TimeSpan.FromDays(30));
    }
}
