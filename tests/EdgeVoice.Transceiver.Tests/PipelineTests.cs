using EdgeVoice.Transceiver.Agent;
using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Pipeline;
using EdgeVoice.Transceiver.Tts;
using EdgeVoice.Transceiver.Turns;
using EdgeVoice.Transceiver.Vad;
using Xunit.Abstractions;

namespace EdgeVoice.Transceiver.Tests;

public sealed class PipelineTests(ITestOutputHelper output)
{
    internal static PipelineOptions Offline => new()
    {
        Pacing = Pacing.Offline,
        Turns = new TurnSettings { MinSpeech = TimeSpan.FromMilliseconds(100), EndOfTurnSilence = TimeSpan.FromMilliseconds(500) },
        OfflineWaitLimit = TimeSpan.FromSeconds(20),
    };

    internal static SessionEngines EmbeddedDefault(IAgent? agent = null) =>
        new(new EnergyVad(), new PocketSphinxRecognizer(grammarPath: Speech.Grammar), agent ?? new EchoAgent(), new EspeakSynthesizer(Speech.Voice, Speech.Rate));

    [Fact]
    public async Task Espeak_questions_through_opus_are_transcribed_and_echoed_back()
    {
        var pipeline = VoicePipeline.Start(EmbeddedDefault(), Offline, output.WriteLine);
        var caller = new OfflineCaller(pipeline);
        int sampleRate = EspeakNg.SampleRate;
        foreach (var question in Speech.Questions)
        {
            await caller.SpeakAsync(Speech.Say(question), sampleRate);
            Assert.True(await caller.WaitForReplyAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), $"no reply to '{question}'");
        }
        await caller.FinishAsync();
        await pipeline.DisposeAsync();

        var finals = caller.Events.Where(e => e.Kind == PipelineEventKind.FinalTranscript).ToList();
        Assert.Equal(Speech.Questions.Length, finals.Count);
        int errors = 0, words = 0, replyErrors = 0, replyWords = 0;
        for (int i = 0; i < finals.Count; i++)
        {
            string question = Speech.Questions[i];
            errors += Speech.WordErrors(question, finals[i].Text!);
            words += Speech.Words(question).Length;
            var reply = caller.DecodeAgentAudio(finals[i].TurnId);
            Assert.True(reply.Length > 48_000 / 2, $"reply to '{question}' is {reply.Length} samples");
            string heard = Speech.Transcribe(reply, 48_000, Speech.Grammar);
            replyErrors += Speech.WordErrors("you said " + question, heard);
            replyWords += Speech.Words(question).Length + 2;
            output.WriteLine($"'{question}' → '{finals[i].Text}' → reply heard as '{heard}'");
        }
        double wer = errors / (double)words, replyWer = replyErrors / (double)replyWords;
        output.WriteLine($"WER questions {wer:P1} ({errors}/{words}), replies {replyWer:P1} ({replyErrors}/{replyWords})");
        // Bound: pocketsphinx with the demo JSGF grammar on espeak en-us+m3 at 140 wpm, through Opus at 32 kb/s.
        Assert.True(wer < 0.10, $"question WER {wer:P1}");
        Assert.True(replyWer < 0.10, $"reply WER {replyWer:P1}");
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.AgentText && e.Text == "You said what time is it.");
        Assert.Contains(caller.Events, e => e.Kind == PipelineEventKind.PartialTranscript);
        var states = caller.Events.Where(e => e.Kind == PipelineEventKind.StateChanged && e.TurnId == finals[0].TurnId).Select(e => e.State).ToList();
        Assert.Equal([SessionState.Thinking, SessionState.Speaking, SessionState.Listening], states);
    }
}
