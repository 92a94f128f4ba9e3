using System.Buffers.Binary;

namespace EdgeVoice.Relay.Tests.Support;

/// <summary>Writes the test callers' microphone input: a sine tone as a 48 kHz mono 16-bit PCM WAV.</summary>
internal static class ToneWav
{
    public const int SampleRate = 48000;

    public static string Write(string directory, double frequencyHz, double seconds = 10, double amplitude = 0.5)
    {
        var path = Path.Combine(directory, $"tone-{frequencyHz:F0}hz.wav");
        var samples = (int)(seconds * SampleRate);
        var data = new byte[44 + samples * 2];
        var span = data.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], data.Length - 8);
        "WAVEfmt "u8.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);          // fmt chunk size
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);           // PCM
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1);           // mono
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], SampleRate * 2); // byte rate
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], 2);           // block align
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);          // bits per sample
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], samples * 2);
        for (var i = 0; i < samples; i++)
        {
            var value = amplitude * Math.Sin(2 * Math.PI * frequencyHz * i / SampleRate);
            BinaryPrimitives.WriteInt16LittleEndian(span[(44 + i * 2)..], (short)Math.Round(value * short.MaxValue));
        }
        File.WriteAllBytes(path, data);
        return path;
    }
}
