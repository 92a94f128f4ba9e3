using EdgeVoice.Transceiver.Configuration;
using EdgeVoice.Transceiver.Pipeline;

const string usage = """
    edgevoice-transceiver — the GPU-node voice pipeline
      serve [--config FILE] [--tunnel FILE]                          take calls from relays over the tunnel until SIGTERM (systemd Type=notify)
      simulate --in question.wav --out answer.wav [--config FILE]   run one offline call and print transcript, reply, timings
      setup [--cache DIR]                                            fetch the Silero VAD model with npm (SHA-256 checked)
      check [--config FILE]                                          validate the configuration and model files
    """;

if (args.Length == 0 || args[0] is "-h" or "--help") { Console.WriteLine(usage); return args.Length == 0 ? 2 : 0; }
switch (args[0])
{
    case "serve":
        return await EdgeVoice.Transceiver.Serve.ServeCommand.RunAsync(args[1..]);
    case "simulate":
        return await SimulateCommand.RunAsync(args[1..]);
    case "setup":
        try
        {
            string cache = args.Length >= 3 && args[1] == "--cache" ? args[2] : EdgeVoice.Transceiver.Vad.SileroModel.DefaultCacheDirectory;
            Console.WriteLine(await EdgeVoice.Transceiver.Vad.SileroModel.EnsureAsync(cache, Console.Error.WriteLine));
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException)
        {
            Console.Error.WriteLine($"setup: {e.Message}");
            return 1;
        }
    case "check":
        try
        {
            var config = ConfigLocator.Load(args.Length >= 3 && args[1] == "--config" ? args[2] : null);
            Console.WriteLine($"{config.Source}: ok (vad={config.Vad.Engine} asr={config.Asr.Engine} agent={config.Agent.Engine} tts={config.Tts.Engine} device={config.Device.Kind}:{config.Device.Id})");
            return 0;
        }
        catch (ConfigurationException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'\n{usage}");
        return 2;
}
