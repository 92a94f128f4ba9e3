using System.Net;
using EdgeVoice.Tunnel.Config;
using EdgeVoice.Tunnel.Control;
using EdgeVoice.Tunnel.Media;
using EdgeVoice.Tunnel.Quic;
using Microsoft.Extensions.Logging;

namespace EdgeVoice.Cli.Commands;

/// <summary>`edgevoice tunnel-echo`: listen as a transceiver, answer pings and echo media; for checking a deployment's tunnel.</summary>
public sealed class TunnelEchoCommand : ICommand
{
    public string Name => "tunnel-echo";
    public string Summary => "listen per a transceiver's tunnel config; answer pings and echo media frames (until Ctrl-C or --seconds)";
    public string Usage => "edgevoice tunnel-echo --config transceiver.yaml [--seconds N]";

    public int Run(CommandArgs args, TextWriter output, TextWriter error)
    {
        string path = args.Require("config");
        int seconds = args.Count("seconds", int.MaxValue / 1000, "seconds", int.MaxValue / 1000);
        args.RejectUnused();
        var config = TunnelConfig.Load(path);
        if (config.Role != NodeRole.Transceiver)
            throw new UsageException($"{path}: tunnel.role is {config.Role}; tunnel-echo listens with a transceiver config");
        var options = config.CreateOptions(new ConsoleLogger(error, LogLevel.Information));
        using var server = new TunnelServer(options, TunnelServer.Bind(config.Listen ?? new IPEndPoint(IPAddress.Any, TunnelConfig.DefaultPort)));
        server.EventReceived += (c, e) =>
        {
            if (e.Message is PingMessage ping)
                server.SendControl(c, new PongMessage(ping.Nonce));
        };
        server.MediaReceived += (c, bytes) =>
        {
            if (MediaFrame.TryParse(bytes, out var f, out _))
                server.TrySendMedia(c, new MediaFrame(f.SessionId, MediaDirection.Downlink, f.Sequence, f.RtpTimestamp, f.Flags, f.Payload));
        };
        server.Start();
        output.WriteLine($"listening on udp {server.LocalEndPoint} as {options.Self}");
        using var stop = new ManualResetEventSlim();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Set(); };
        stop.Wait(TimeSpan.FromSeconds(seconds));
        options.Credentials.Dispose();
        return 0;
    }
}
