using EdgeVoice.Transceiver.Turns;
using EdgeVoice.Transceiver.Vad;

namespace EdgeVoice.Transceiver.Tests;

public sealed class VadTurnTests
{
    private static readonly TimeSpan Chunk = TimeSpan.FromMilliseconds(20);

    [Fact]
    public void Energy_vad_separates_a_voice_level_tone_from_silence_and_low_noise()
    {
        var vad = new EnergyVad();
        var random = new Random(1);
        var noise = new float[320];
        for (int i = 0; i < 50; i++)
        {
            for (int j = 0; j < noise.Length; j++) noise[j] = (float)((random.NextDouble() - 0.5) * 0.003);
            Assert.True(vad.SpeechProbability(noise) < 0.35f);
            Assert.True(vad.SpeechProbability(new float[320]) < 0.35f);
        }
        Assert.True(vad.SpeechProbability(Signals.Tone(200, 16_000, 320, 0.3)) > 0.5f);
        Assert.Equal(0f, vad.SpeechProbability(ReadOnlySpan<float>.Empty));
    }

    [Fact]
    public void Turn_starts_after_min_speech_and_ends_after_silence()
    {
        var turns = new TurnDetector(new TurnSettings { MinSpeech = TimeSpan.FromMilliseconds(100), EndOfTurnSilence = TimeSpan.FromMilliseconds(300) });
        var signals = new List<(int, TurnSignal)>();
        for (int i = 0; i < 60; i++)
        {
            float p = i is >= 10 and < 30 ? 0.9f : 0.05f;
            var s = turns.Update(p, Chunk);
            if (s != TurnSignal.None) signals.Add((i, s));
        }
        Assert.Equal([(14, TurnSignal.SpeechStarted), (44, TurnSignal.TurnEnded)], signals);
    }

    [Fact]
    public void Short_blips_and_brief_pauses_do_not_make_turns()
    {
        var turns = new TurnDetector(new TurnSettings { MinSpeech = TimeSpan.FromMilliseconds(200), EndOfTurnSilence = TimeSpan.FromMilliseconds(400) });
        for (int i = 0; i < 5; i++) Assert.Equal(TurnSignal.None, turns.Update(0.9f, Chunk));
        for (int i = 0; i < 5; i++) Assert.Equal(TurnSignal.None, turns.Update(0.0f, Chunk));
        for (int i = 0; i < 9; i++) turns.Update(0.9f, Chunk);
        Assert.Equal(TurnSignal.SpeechStarted, turns.Update(0.9f, Chunk));
        for (int i = 0; i < 10; i++) Assert.Equal(TurnSignal.None, turns.Update(0.0f, Chunk)); // 200 ms pause
        Assert.Equal(TurnSignal.None, turns.Update(0.9f, Chunk));
        Assert.True(turns.InTurn);
    }

    [Fact]
    public void Very_long_turn_is_cut_at_the_maximum()
    {
        var turns = new TurnDetector(new TurnSettings { MinSpeech = TimeSpan.FromMilliseconds(20), MaxTurn = TimeSpan.FromSeconds(2) });
        int cutAt = -1;
        for (int i = 0; i < 500 && cutAt < 0; i++)
            if (turns.Update(0.9f, Chunk) == TurnSignal.TurnCut) cutAt = i;
        Assert.Equal(99, cutAt);
        Assert.False(turns.InTurn);
    }
}
