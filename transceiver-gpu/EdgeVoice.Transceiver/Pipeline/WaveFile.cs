using System.Buffers.Binary;

namespace EdgeVoice.Transceiver.Pipeline;

/// <summary>Mono 16-bit PCM WAV read/write (multi-channel input is mixed down).</summary>
public static class WaveFile
{
    public static (short[] Samples, int SampleRate) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (!TryParse(bytes, out var samples, out int rate, out var error))
            throw new InvalidDataException($"{path}: {error}");
        return (samples, rate);
    }

    public static bool TryParse(ReadOnlySpan<byte> data, out short[] samples, out int sampleRate, out string error)
    {
        samples = [];
        sampleRate = 0;
        if (data.Length < 12 || !data[..4].SequenceEqual("RIFF"u8) || !data.Slice(8, 4).SequenceEqual("WAVE"u8)) { error = "not a RIFF/WAVE file"; return false; }
        int channels = 0, bits = 0, format = 0;
        for (int offset = 12; offset + 8 <= data.Length;)
        {
            var id = data.Slice(offset, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(offset + 4, 4));
            if (size < 0 || offset + 8 + (long)size > data.Length) size = data.Length - offset - 8; // tolerate streamed WAVs with a bad size
            var body = data.Slice(offset + 8, size);
            if (id.SequenceEqual("fmt "u8) && size >= 16)
            {
                format = BinaryPrimitives.ReadUInt16LittleEndian(body);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(body[14..]);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (format is not (1 or 0xFFFE) || bits != 16 || channels < 1 || sampleRate <= 0) { error = $"only 16-bit PCM is supported (format {format}, {bits} bits, {channels} channels)"; return false; }
                int frames = size / (2 * channels);
                samples = new short[frames];
                for (int i = 0; i < frames; i++)
                {
                    int sum = 0;
                    for (int c = 0; c < channels; c++) sum += BinaryPrimitives.ReadInt16LittleEndian(body[((i * channels + c) * 2)..]);
                    samples[i] = (short)(sum / channels);
                }
                error = string.Empty;
                return true;
            }
            offset += 8 + size + (size & 1);
        }
        error = "no data chunk";
        return false;
    }

    public static void Write(string path, ReadOnlySpan<short> samples, int sampleRate)
    {
        var bytes = new byte[44 + samples.Length * 2];
        var span = bytes.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + samples.Length * 2);
        "WAVEfmt "u8.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], sampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], samples.Length * 2);
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(span[(44 + i * 2)..], samples[i]);
        File.WriteAllBytes(path, bytes);
    }
}
