using EdgeVoice.Transceiver.Turns;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>How the session's clock advances.</summary>
public enum Pacing
{
    /// <summary>Live: one caller frame is one 20 ms tick; nothing waits for models.</summary>
    RealTime,
    /// <summary>Offline (tests, simulate): media time stops while models work, so runs go faster than real time and model time is excluded from media time.</summary>
    Offline,
}

/// <summary>Settings of one session's pipeline (from <c>configs/transceiver.yaml</c>).</summary>
public sealed record PipelineOptions
{
    public Pacing Pacing { get; init; } = Pacing.RealTime;
    public int JitterDepth { get; init; } = 3;
    public int OpusBitrate { get; init; } = 32_000;
    public TurnSettings Turns { get; init; } = new();
    /// <summary>Audio kept from before the turn was confirmed and handed to ASR with it.</summary>
    public TimeSpan PreRoll { get; init; } = TimeSpan.FromMilliseconds(400);
    public TimeSpan PartialEvery { get; init; } = TimeSpan.FromMilliseconds(300);
    public bool BargeIn { get; init; } = true;
    /// <summary>How long the agent may take to produce its first token.</summary>
    public TimeSpan AgentFirstTokenTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long the agent stream may stall between tokens.</summary>
    public TimeSpan AgentStallTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public string Apology { get; init; } = "Sorry, I could not get an answer.";
    public int MaxReplyChars { get; init; } = 2000;
    /// <summary>Offline pacing only: the most a tick waits for a model before media time moves on.</summary>
    public TimeSpan OfflineWaitLimit { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Bounded wait for a cancelled stage to stop (barge-in).</summary>
    public TimeSpan InterruptWait { get; init; } = TimeSpan.FromSeconds(3);
}
