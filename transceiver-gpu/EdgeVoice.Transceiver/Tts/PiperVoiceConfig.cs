using System.Text.Json;

namespace EdgeVoice.Transceiver.Tts;

/// <summary>A Piper voice's <c>.onnx.json</c>: sample rate, espeak voice, inference scales, phoneme id map.</summary>
public sealed record PiperVoiceConfig(
    int SampleRate,
    string EspeakVoice,
    float NoiseScale,
    float LengthScale,
    float NoiseW,
    int NumSpeakers,
    IReadOnlyDictionary<int, long[]> PhonemeIds)
{
    public const char Pad = '_', Bos = '^', Eos = '$';

    public static PiperVoiceConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Piper voice config not found: {path}", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            JsonElement Need(JsonElement parent, string name, string field) =>
                parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) ? v : throw new InvalidDataException($"{path}: {field} is missing");

            int rate = Need(Need(root, "audio", "audio"), "sample_rate", "audio.sample_rate").GetInt32();
            if (rate is < 8_000 or > 192_000) throw new InvalidDataException($"{path}: audio.sample_rate {rate} is not a speech sample rate");
            string voice = root.TryGetProperty("espeak", out var espeak) && espeak.TryGetProperty("voice", out var v) ? v.GetString() ?? "en-us" : "en-us";
            var inference = root.TryGetProperty("inference", out var inf) ? inf : default;
            float Scale(string name, float fallback) =>
                inference.ValueKind == JsonValueKind.Object && inference.TryGetProperty(name, out var s) ? s.GetSingle() : fallback;
            int speakers = root.TryGetProperty("num_speakers", out var n) ? n.GetInt32() : 1;

            var ids = new Dictionary<int, long[]>();
            foreach (var entry in Need(root, "phoneme_id_map", "phoneme_id_map").EnumerateObject())
            {
                // Piper maps one Unicode code point (not a UTF-16 unit) to its ids.
                var runes = entry.Name.EnumerateRunes().ToList();
                if (runes.Count != 1) throw new InvalidDataException($"{path}: phoneme_id_map key '{entry.Name}' is not a single code point");
                ids[runes[0].Value] = entry.Value.EnumerateArray().Select(e => e.GetInt64()).ToArray();
            }
            foreach (char required in new[] { Pad, Bos, Eos })
                if (!ids.ContainsKey(required)) throw new InvalidDataException($"{path}: phoneme_id_map has no '{required}'");
            return new PiperVoiceConfig(rate, voice, Scale("noise_scale", 0.667f), Scale("length_scale", 1f), Scale("noise_w", 0.8f), speakers, ids);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a Piper voice config ({e.Message})", e);
        }
    }

    /// <summary>Piper's id sequence: BOS, then each phoneme followed by PAD, then EOS; unknown phonemes are skipped.</summary>
    public long[] ToIds(string phonemes, out int skipped)
    {
        var result = new List<long>(phonemes.Length * 2 + 3);
        result.AddRange(PhonemeIds[Bos]);
        result.AddRange(PhonemeIds[Pad]);
        skipped = 0;
        foreach (var rune in phonemes.EnumerateRunes())
        {
            if (!PhonemeIds.TryGetValue(rune.Value, out var ids)) { skipped++; continue; }
            result.AddRange(ids);
            result.AddRange(PhonemeIds[Pad]);
        }
        result.AddRange(PhonemeIds[Eos]);
        return result.ToArray();
    }
}
