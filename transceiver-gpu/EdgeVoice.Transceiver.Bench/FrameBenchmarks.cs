using BenchmarkDotNet.Attributes;
using Concentus;
using Concentus.Enums;
using EdgeVoice.Transceiver.Opus;
using EdgeVoice.Transceiver.Resampling;

namespace EdgeVoice.Transceiver.Bench;

/// <summary>Per-20-ms-frame costs on the media path. Baseline: Concentus' managed Opus codec, the path taken without libopus.</summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private readonly short[] _pcm = new short[960];
    private readonly short[] _out = new short[960];
    private readonly float[] _wide = new float[960];
    private readonly float[] _narrow = new float[400];
    private readonly byte[] _packet = new byte[1275];
    private int _packetLength;
    private IOpusEncoder _managedEncoder = null!;
    private IOpusDecoder _managedDecoder = null!;
    private OpusFrameEncoder _nativeEncoder = null!;
    private OpusFrameDecoder _nativeDecoder = null!;
    private PolyphaseResampler _down = null!;

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < _pcm.Length; i++) _pcm[i] = (short)(8000 * Math.Sin(2 * Math.PI * 440 * i / 48_000));
        for (int i = 0; i < _wide.Length; i++) _wide[i] = _pcm[i] / 32768f;
        // The baseline is the managed codec on purpose; the factory would pick native libopus.
#pragma warning disable CS0618
        _managedEncoder = new Concentus.Structs.OpusEncoder(48_000, 1, OpusApplication.OPUS_APPLICATION_VOIP) { Bitrate = 32_000 };
        _managedDecoder = new Concentus.Structs.OpusDecoder(48_000, 1);
#pragma warning restore CS0618
        _nativeEncoder = new OpusFrameEncoder();
        _nativeDecoder = new OpusFrameDecoder();
        _packetLength = _nativeEncoder.Encode(_pcm, _packet);
        _down = new PolyphaseResampler(48_000, 16_000);
    }

    [Benchmark(Baseline = true)]
    public int ManagedOpusEncodeDecode()
    {
        int n = _managedEncoder.Encode(_pcm, 960, _packet, _packet.Length);
        return _managedDecoder.Decode(_packet.AsSpan(0, n), _out, 960, false);
    }

    [Benchmark]
    public int NativeOpusEncodeDecode()
    {
        int n = _nativeEncoder.Encode(_pcm, _packet);
        _nativeDecoder.TryDecode(_packet.AsSpan(0, n), _out, out _);
        return n;
    }

    [Benchmark]
    public int Resample48kTo16k() => _down.Process(_wide, _narrow);

    [Benchmark]
    public int NativeOpusDecodeOnly() => _nativeDecoder.TryDecode(_packet.AsSpan(0, _packetLength), _out, out _) ? 1 : 0;
}
