using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>
/// Plays the caller's side of a call against a pipeline without a network: encodes audio into Opus frames
/// with RTP numbering, feeds silence while the agent answers, and collects everything that comes back.
/// </summary>
public sealed class OfflineCaller
{
    private readonly VoicePipeline _pipeline;
    private readonly OpusFrameEncoder _encoder;
    private readonly short[] _silence = new short[OpusFrameDecoder.FrameSamples];
    private readonly byte[] _packet = new byte[OpusFrameEncoder.MaxPacketBytes];
    private readonly Task _collect;
    private ushort _sequence = 1000;
    private uint _timestamp = 48_000;

    /// <param name="expectedLossPercent">Above zero the caller's encoder sends in-band FEC, as browsers do.</param>
    public OfflineCaller(VoicePipeline pipeline, int expectedLossPercent = 0)
    {
        _pipeline = pipeline;
        _encoder = new OpusFrameEncoder(32_000, expectedLossPercent);
        _collect = Task.WhenAll(
            Task.Run(async () => { await foreach (var f in pipeline.Output.ReadAllAsync()) lock (_frames) _frames.Add(f); }),
            Task.Run(async () => { await foreach (var e in pipeline.Events.ReadAllAsync()) lock (_events) _events.Add(e); }));
    }

    private readonly List<AgentFrame> _frames = new();
    private readonly List<PipelineEvent> _events = new();

    /// <summary>Agent frames received so far (a snapshot).</summary>
    public IReadOnlyList<AgentFrame> Frames { get { lock (_frames) return _frames.ToArray(); } }

    /// <summary>Pipeline events received so far (a snapshot).</summary>
    public IReadOnlyList<PipelineEvent> Events { get { lock (_events) return _events.ToArray(); } }
    public int FramesSent { get; private set; }

    /// <summary>Sends caller audio at any sample rate; it is resampled to 48 kHz and cut into 20 ms Opus frames.</summary>
    public async Task SpeakAsync(short[] pcm, int sampleRate, CancellationToken cancellationToken = default)
    {
        var wide = To48k(pcm, sampleRate);
        for (int offset = 0; offset < wide.Length; offset += OpusFrameDecoder.FrameSamples)
        {
            var frame = new short[OpusFrameDecoder.FrameSamples];
            wide.AsSpan(offset, Math.Min(frame.Length, wide.Length - offset)).CopyTo(frame);
            await SendAsync(frame, cancellationToken);
        }
    }

    /// <summary>Encodes caller audio into numbered Opus frames without sending them (to reorder or drop them first).</summary>
    public List<MediaFrame> Encode(short[] pcm, int sampleRate)
    {
        var wide = To48k(pcm, sampleRate);
        var frames = new List<MediaFrame>();
        var frame = new short[OpusFrameDecoder.FrameSamples];
        for (int offset = 0; offset < wide.Length; offset += OpusFrameDecoder.FrameSamples)
        {
            Array.Clear(frame);
            wide.AsSpan(offset, Math.Min(frame.Length, wide.Length - offset)).CopyTo(frame);
            int n = _encoder.Encode(frame, _packet);
            frames.Add(new MediaFrame(_sequence++, _timestamp, _packet.AsSpan(0, n).ToArray()));
            _timestamp += OpusFrameDecoder.FrameSamples;
        }
        return frames;
    }

    /// <summary>Sends a frame exactly as given (sequence number and all).</summary>
    public async Task SendRawAsync(MediaFrame frame, CancellationToken cancellationToken = default)
    {
        await _pipeline.WriteAsync(frame, cancellationToken);
        FramesSent++;
    }

    /// <summary>Sends one caller frame of raw payload (which may be malformed) with the next sequence number.</summary>
    public async Task SendPayloadAsync(byte[] payload, CancellationToken cancellationToken = default)
    {
        await _pipeline.WriteAsync(new MediaFrame(_sequence++, _timestamp, payload), cancellationToken);
        _timestamp += OpusFrameDecoder.FrameSamples;
        FramesSent++;
    }

    public Task SendAsync(short[] frame48k, CancellationToken cancellationToken = default)
    {
        int n = _encoder.Encode(frame48k, _packet);
        return SendPayloadAsync(_packet.AsSpan(0, n).ToArray(), cancellationToken);
    }

    /// <summary>Sends silence until the pipeline has answered every open turn (at least <paramref name="minimum"/>, at most <paramref name="maximum"/>).</summary>
    public async Task<bool> WaitForReplyAsync(TimeSpan minimum, TimeSpan maximum, CancellationToken cancellationToken = default)
    {
        int min = (int)(minimum.TotalMilliseconds / 20), max = (int)(maximum.TotalMilliseconds / 20);
        // The pipeline's input and tick queues hold a few frames; count idle only after they have drained through.
        const int settle = 32;
        int idleFor = 0;
        for (int i = 0; i < max; i++)
        {
            await SendAsync(_silence, cancellationToken);
            idleFor = _pipeline.IsIdle ? idleFor + 1 : 0;
            if (i >= min && idleFor >= settle) return true;
        }
        return false;
    }

    /// <summary>Ends the call and waits for the pipeline to drain.</summary>
    public async Task FinishAsync()
    {
        _pipeline.CompleteInput();
        await _pipeline.Completion;
        await _collect;
    }

    /// <summary>The agent's audio for one turn (or all turns), decoded to 48 kHz PCM.</summary>
    public short[] DecodeAgentAudio(int? turnId = null)
    {
        var decoder = new OpusFrameDecoder();
        var pcm = new List<short>();
        var frame = new short[OpusFrameDecoder.FrameSamples];
        var frames = Frames.Where(f => turnId is null || f.TurnId == turnId).ToList();
        foreach (var f in frames)
        {
            if (!decoder.TryDecode(f.Frame.Payload.Span, frame, out _)) decoder.Conceal(frame);
            pcm.AddRange(frame);
        }
        return pcm.ToArray();
    }

    private static short[] To48k(short[] pcm, int sampleRate) => PolyphaseResampler.Convert(pcm, sampleRate, OpusFrameDecoder.SampleRate);
}
