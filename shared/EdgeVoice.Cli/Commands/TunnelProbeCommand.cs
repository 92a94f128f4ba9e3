using System.Diagnostics;
using EdgeVoice.Tunnel.Config;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Quic;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Cli.Commands;

/// <summary>`edgevoice tunnel-probe`: dial every transceiver in a relay config, check the handshake, time a ping.</summary>
public sealed class TunnelProbeCommand : ICommand
{
    public string Name => "tunnel-probe";
    public string Summary => "dial the transceivers in a relay's tunnel config; report handshake, peer and ping time";
    public string Usage => "edgevoice tunnel-probe --config relay.yaml [--timeout SECONDS]";

    public int Run(CommandArgs args, TextWriter output, TextWriter error)
    {
        string path = args.Require("config");
        int timeoutSeconds = args.Count("timeout", 5, "seconds", 600);
        args.RejectUnused();
        var config = TunnelConfig.Load(path);
        if (config.Role != NodeRole.Relay)
            throw new UsageException($"{path}: tunnel.role is {config.Role}; tunnel-probe dials from a relay config");
        var options = config.CreateOptions(new ConsoleLogger(error, LogLevel.Information));
        int failures = 0;
        foreach (var peer in config.Peers)
        {
            var done = new ManualResetEventSlim();
            TunnelEvent? outcome = null;
            long pingSent = 0;
            double? rttMs = null;
            using var client = new TunnelClient(options, peer.Address!, new ReconnectBackoff(TimeSpan.FromHours(1), TimeSpan.FromHours(1)));
            client.EventReceived += e =>
            {
                if (e.Kind == TunnelEventKind.Connected)
                {
                    outcome = e;
                    pingSent = Stopwatch.GetTimestamp();
                    client.SendControl(new PingMessage(1));
                }
                else if (e.Message is PongMessage)
                {
                    rttMs = Stopwatch.GetElapsedTime(pingSent).TotalMilliseconds;
                    done.Set();
                }
                else if (e.Kind == TunnelEventKind.Closed)
                {
                    outcome ??= e;
                    done.Set();
                }
            };
            client.Start();
            done.Wait(TimeSpan.FromSeconds(timeoutSeconds));
            if (outcome is { Kind: TunnelEventKind.Connected } c && rttMs is { } rtt)
                output.WriteLine($"{peer.Name} {peer.Address}: connected to {c.Peer}, capacity {((HelloMessage)c.Message!).Capacity}, ping {rtt:0.00} ms");
            else
            {
                failures++;
                output.WriteLine($"{peer.Name} {peer.Address}: FAILED: {(outcome is null ? $"no answer within {timeoutSeconds} s" : $"{outcome.Error} {outcome.Detail}")}");
            }
        }
        options.Credentials.Dispose();
        return failures == 0 ? 0 : 2;
    }
}
