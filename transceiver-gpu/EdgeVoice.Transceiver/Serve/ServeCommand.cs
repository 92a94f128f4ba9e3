using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Metrics;
using EdgeVoice.Tunnel.Config;
using EdgeVoice.Tunnel.Quic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Transceiver.Serve;

/// <summary>
/// <c>edgevoice-transceiver serve [--config transceiver.yaml] [--tunnel tunnel.yaml]</c>: a systemd (Type=notify) service
/// that takes calls from relays over the tunnel until SIGTERM. The tunnel settings are the <c>tunnel:</c> section of the
/// transceiver config, or of the file given with <c>--tunnel</c> (the format of configs/tunnel-transceiver.yaml).
/// </summary>
public static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? configPath = null, tunnelPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" when i + 1 < args.Length: configPath = args[++i]; break;
                case "--tunnel" when i + 1 < args.Length: tunnelPath = args[++i]; break;
                default:
                    Console.Error.WriteLine($"serve: unexpected argument '{args[i]}' (serve [--config FILE] [--tunnel FILE])");
                    return 2;
            }
        }
        TransceiverConfig config;
        TunnelConfig tunnel;
        try
        {
            config = ConfigLocator.Load(configPath);
            tunnel = LoadTunnel(config, tunnelPath);
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (TunnelConfigException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }

        // Like the relay: no watch on appsettings*.json, which from systemd's working directory would watch a whole tree.
        var builder = Host.CreateApplicationBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.Services.AddSystemd();
        // The host's stop budget must cover the drain, or it would cut the drain short.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.DrainTimeout + TimeSpan.FromSeconds(10));
        builder.Services.AddHostedService(services => new TransceiverService(config, tunnel, services.GetRequiredService<ILoggerFactory>()));
        try
        {
            await builder.Build().RunAsync();
            return 0;
        }
        catch (TunnelConfigException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    /// <summary>The tunnel settings for a transceiver, checked against the pipeline's: the capacity relays are told must be the one enforced.</summary>
    public static TunnelConfig LoadTunnel(TransceiverConfig config, string? tunnelPath)
    {
        string path = tunnelPath ?? config.Source;
        if (!File.Exists(path))
            throw new TunnelConfigException($"{path}: serve needs a tunnel: section (in the transceiver config, or a file given with --tunnel; see configs/tunnel-transceiver.yaml)", []);
        var tunnel = TunnelConfig.Load(path);
        if (tunnel.Role != Tunnel.Control.NodeRole.Transceiver)
            throw new TunnelConfigException($"{path}: tunnel.role must be transceiver for serve", []);
        if (tunnel.Capacity != config.MaxSessions)
            throw new TunnelConfigException($"{path}: tunnel.capacity ({tunnel.Capacity}) differs from limits.max_sessions ({config.MaxSessions}) in {config.Source}; relays would place calls this node refuses (or never send it calls it can take): make them equal", []);
        return tunnel;
    }
}

/// <summary>Runs a <see cref="TunnelSessionServer"/> for the host's lifetime.</summary>
internal sealed class TransceiverService(TransceiverConfig config, TunnelConfig tunnel, ILoggerFactory loggers) : IHostedService
{
    private readonly ILogger _logger = loggers.CreateLogger("EdgeVoice.Transceiver");
    private TunnelSessionServer? _server;
    private MetricsListener? _metrics;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        TunnelOptions options = tunnel.CreateOptions(loggers.CreateLogger("EdgeVoice.Tunnel"));
        _server = TunnelSessionServer.Start(config, options, tunnel.Listen!, message => _logger.LogInformation("{Message}", message));
        _logger.LogInformation("serving tunnel on udp {Listen} as {Name} (capacity {Capacity}; asr={Asr} agent={Agent} tts={Tts})",
            _server.LocalEndPoint, tunnel.Name, tunnel.Capacity, config.Asr.Engine, config.Agent.Engine, config.Tts.Engine);
        try
        {
            StartMetrics(_server);
        }
        catch (ConfigurationException)
        {
            // Start-up fails: close the tunnel listener it had opened before the process exits.
            await _server.DisposeAsync();
            _server = null;
            throw;
        }
    }

    /// <summary>The Prometheus listener (metrics.listen); a default address that is taken only logs, a configured one fails start-up.</summary>
    private void StartMetrics(TunnelSessionServer server)
    {
        if (config.Metrics is not { Listen: { } listen } metrics)
            return;
        try
        {
            _metrics = MetricsListener.Start(listen, () => TransceiverExposition.Write(server), line => _logger.LogWarning("{Message}", line));
            _logger.LogInformation("metrics on http://{Listen}/metrics", _metrics.LocalEndPoint);
        }
        catch (System.Net.Sockets.SocketException ex) when (!metrics.Explicit)
        {
            _logger.LogWarning("metrics: cannot listen on the default {Listen} ({Error}); no /metrics. Set metrics.listen in {Config} (another port, or off)",
                listen, ex.Message, config.Source);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new ConfigurationException(config.Source, 0, "metrics.listen", $"cannot listen on {listen}: {ex.Message}; choose a free address or set listen: off");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null && config.DrainTimeout > TimeSpan.Zero && _server.ActiveSessions > 0)
        {
            int left = await _server.DrainAsync(config.DrainTimeout);
            _logger.LogInformation("drain finished: {Left} sessions left to close", left);
        }
        if (_metrics is not null)
            await _metrics.DisposeAsync();
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
