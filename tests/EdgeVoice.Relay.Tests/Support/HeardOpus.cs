using EdgeVoice.Transceiver.Asr;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>What a synthetic caller heard: its received Opus frames decoded (lost ones concealed) and run through pocketsphinx.</summary>
public static class HeardOpus
{
    /// <summary>The demo domain's grammar, which the demo transceivers use too.</summary>
    public static string DemoGrammar => Path.Combine(RepoPaths.Root, "configs", "transceiver-demo.gram");

    /// <summary>A reply is over after this long without a frame: a loaded 2-core machine can pause one for most of a second.</summary>
    public static readonly TimeSpan ReplyOver = TimeSpan.FromSeconds(2);

    public static string Transcribe(IReadOnlyList<byte[]> frames, string? grammar = null)
    {
        if (frames.Count == 0)
            return "";
        var decoder = new OpusFrameDecoder();
        var pcm = new List<short>(frames.Count * OpusFrameDecoder.FrameSamples);
        var frame = new short[OpusFrameDecoder.FrameSamples];
        foreach (var payload in frames)
        {
            if (!decoder.TryDecode(payload, frame, out _)) decoder.Conceal(frame);
            pcm.AddRange(frame);
        }
        using var recognizer = new PocketSphinxRecognizer(grammarPath: grammar ?? DemoGrammar);
        recognizer.StartUtterance();
        recognizer.AcceptAudio(PolyphaseResampler.Convert(pcm.ToArray(), 48_000, 16_000));
        return recognizer.FinishAsync(CancellationToken.None).Result;
    }
}
