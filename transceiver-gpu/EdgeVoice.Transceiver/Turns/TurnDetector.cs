namespace EdgeVoice.Transceiver.Turns;

/// <summary>What one VAD chunk changed about the caller's turn.</summary>
public enum TurnSignal
{
    None,
    /// <summary>Speech has lasted the minimum speech length: a turn has begun (and barge-in may fire).</summary>
    SpeechStarted,
    /// <summary>The end-of-turn silence elapsed after speech.</summary>
    TurnEnded,
    /// <summary>The turn reached the maximum length and was cut.</summary>
    TurnCut,
}

/// <summary>Settings for <see cref="TurnDetector"/>.</summary>
public sealed record TurnSettings
{
    public float ActivationThreshold { get; init; } = 0.5f;
    public float DeactivationThreshold { get; init; } = 0.35f;
    public TimeSpan MinSpeech { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan EndOfTurnSilence { get; init; } = TimeSpan.FromMilliseconds(600);
    public TimeSpan MaxTurn { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Turns VAD probabilities into turn boundaries with hysteresis: speech must last <see cref="TurnSettings.MinSpeech"/>
/// to start a turn, and silence must last <see cref="TurnSettings.EndOfTurnSilence"/> to end it. Sans-IO.
/// </summary>
public sealed class TurnDetector(TurnSettings settings)
{
    private TimeSpan _speechRun;
    private TimeSpan _silenceRun;
    private TimeSpan _turnLength;

    public bool InTurn { get; private set; }
    public TurnSettings Settings { get; } = settings;

    /// <summary>Speech heard before the turn was confirmed (the caller feeds this much pre-roll to ASR).</summary>
    public TimeSpan PendingSpeech => _speechRun;

    public TurnSignal Update(float probability, TimeSpan chunk)
    {
        if (!InTurn)
        {
            if (probability >= Settings.ActivationThreshold) _speechRun += chunk;
            else if (probability < Settings.DeactivationThreshold) _speechRun = TimeSpan.Zero;
            if (_speechRun < Settings.MinSpeech) return TurnSignal.None;
            InTurn = true;
            _turnLength = _speechRun;
            _silenceRun = TimeSpan.Zero;
            _speechRun = TimeSpan.Zero;
            return TurnSignal.SpeechStarted;
        }
        _turnLength += chunk;
        if (probability < Settings.DeactivationThreshold) _silenceRun += chunk;
        else if (probability >= Settings.ActivationThreshold) _silenceRun = TimeSpan.Zero;
        if (_silenceRun >= Settings.EndOfTurnSilence) { InTurn = false; return TurnSignal.TurnEnded; }
        if (_turnLength >= Settings.MaxTurn) { InTurn = false; return TurnSignal.TurnCut; }
        return TurnSignal.None;
    }

    public void Reset()
    {
        InTurn = false;
        _speechRun = _silenceRun = _turnLength = TimeSpan.Zero;
    }
}
