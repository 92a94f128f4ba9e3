using System.Diagnostics;
using EdgeVoice.Transceiver.Configuration;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>
/// <c>simulate --in question.wav --out answer.wav [--config transceiver.yaml]</c>: runs the whole pipeline offline
/// (Opus frames in, Opus frames out) and prints the transcript, the agent's reply and per-stage timings.
/// </summary>
public static class SimulateCommand
{
    public const string Usage = "usage: simulate --in question.wav --out answer.wav [--config configs/transceiver.yaml]";

    public static async Task<int> RunAsync(string[] args)
    {
        string? input = null, output = null, configPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--in": input = Next(); break;
                case "--out": output = Next(); break;
                case "--config": configPath = Next(); break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                default: Console.Error.WriteLine($"simulate: unknown argument '{args[i]}'\n{Usage}"); return 2;
            }
        }
        if (input is null || output is null) { Console.Error.WriteLine(Usage); return 2; }

        TransceiverConfig config;
        short[] question;
        int rate;
        try
        {
            config = ConfigLocator.Load(configPath);
            (question, rate) = WaveFile.Read(input);
        }
        catch (Exception e) when (e is ConfigurationException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"simulate: {e.Message}");
            return 1;
        }

        var wall = Stopwatch.StartNew();
        var factory = new EngineFactory(config, Console.Error.WriteLine);
        await using var pipeline = VoicePipeline.Start(factory.CreateSession(), config.ToPipelineOptions(Pacing.Offline), m => Console.Error.WriteLine(m));
        var caller = new OfflineCaller(pipeline);
        await caller.SpeakAsync(question, rate);
        bool answered = await caller.WaitForReplyAsync(config.Turns.EndOfTurnSilence + TimeSpan.FromMilliseconds(400), TimeSpan.FromMinutes(5));
        await caller.FinishAsync();
        wall.Stop();

        var answer = caller.DecodeAgentAudio();
        WaveFile.Write(output, answer, Opus.OpusFrameDecoder.SampleRate);
        foreach (var e in caller.Events.Where(e => e.Kind != PipelineEventKind.PartialTranscript)) Console.WriteLine(e);
        string transcript = string.Join(" / ", caller.Events.Where(e => e.Kind == PipelineEventKind.FinalTranscript).Select(e => e.Text));
        string reply = string.Join(" ", caller.Events.Where(e => e.Kind == PipelineEventKind.AgentText).Select(e => e.Text));
        Console.WriteLine($"transcript: {transcript}");
        Console.WriteLine($"reply:      {reply}");
        Console.WriteLine($"audio:      {question.Length / (double)rate:F2} s in, {answer.Length / 48_000.0:F2} s out ({caller.Frames.Count} Opus frames) → {output}");
        Console.WriteLine($"engines:    vad={config.Vad.Engine} asr={config.Asr.Engine} agent={config.Agent.Engine} tts={config.Tts.Engine}");
        Console.WriteLine("stage timings (wall clock, whole session):");
        foreach (var (stage, total, count) in pipeline.Timings.Snapshot())
            Console.WriteLine($"  {stage,-9} {total.TotalMilliseconds,9:F1} ms  ({count} calls)");
        Console.WriteLine($"  {"total",-9} {wall.Elapsed.TotalMilliseconds,9:F1} ms  (media time {caller.FramesSent * 20} ms; malformed {pipeline.MalformedFrames}, concealed {pipeline.ConcealedFrames})");
        if (!answered) { Console.Error.WriteLine("simulate: the pipeline did not finish answering within 5 minutes of media time"); return 1; }
        return 0;
    }
}
