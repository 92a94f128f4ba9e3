using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace EdgeVoice.Transceiver.Tests;

/// <summary>
/// Makes a tiny Piper-format voice: an ONNX graph (built with Debian's python3-onnx) with Piper's inputs
/// (<c>input</c>, <c>input_lengths</c>, <c>scales</c>) and output (<c>output</c> [1,1,1,T]) that turns each phoneme id
/// into <see cref="Hop"/> samples of amplitude id × length_scale / 1000, plus its .onnx.json.
/// </summary>
internal static class TinyPiperVoice
{
    public const int Hop = 256;
    public const int SampleRate = 16_000;

    private const string Script = """
        import sys, onnx
        from onnx import helper, TensorProto
        hop = int(sys.argv[2])
        graph = helper.make_graph(
            [
                helper.make_node('Cast', ['input'], ['ids_f'], to=TensorProto.FLOAT),
                helper.make_node('Unsqueeze', ['ids_f', 'axis2'], ['ids_3d']),
                helper.make_node('Expand', ['ids_3d', 'hop_shape'], ['frames']),
                helper.make_node('Reshape', ['frames', 'out_shape'], ['flat']),
                helper.make_node('Gather', ['scales', 'one'], ['length_scale'], axis=0),
                helper.make_node('Mul', ['flat', 'length_scale'], ['scaled']),
                helper.make_node('Mul', ['scaled', 'milli'], ['output']),
            ],
            'tiny_piper',
            [
                helper.make_tensor_value_info('input', TensorProto.INT64, [1, 'phonemes']),
                helper.make_tensor_value_info('input_lengths', TensorProto.INT64, [1]),
                helper.make_tensor_value_info('scales', TensorProto.FLOAT, [3]),
            ],
            [helper.make_tensor_value_info('output', TensorProto.FLOAT, [1, 1, 1, 'time'])],
            [
                helper.make_tensor('axis2', TensorProto.INT64, [1], [2]),
                helper.make_tensor('hop_shape', TensorProto.INT64, [3], [1, 1, hop]),
                helper.make_tensor('out_shape', TensorProto.INT64, [4], [1, 1, 1, -1]),
                helper.make_tensor('one', TensorProto.INT64, [], [1]),
                helper.make_tensor('milli', TensorProto.FLOAT, [], [0.001]),
            ])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, sys.argv[1])
        """;

    /// <summary>IPA symbols espeak-ng emits for English, each its own id (Piper's en voices use a similar table).</summary>
    public const string Symbols = "abcdefghijklmnopqrstuvwxyzæçðøħŋœǀǁǂǃɐɑɒɓɔɕɖɗɘəɚɛɜɝɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢʲˈˌːˑ˞βθχᵻⱱ";

    public static string Create(string directory)
    {
        string model = Path.Combine(directory, "tiny-voice.onnx");
        var python = new ProcessStartInfo("/usr/bin/python3", ["-c", Script, model, Hop.ToString()]) { RedirectStandardError = true };
        using (var process = Process.Start(python)!)
        {
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"python3-onnx failed (apt-get install python3-onnx): {stderr}");
        }
        using var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("audio"); w.WriteNumber("sample_rate", SampleRate); w.WriteString("quality", "x_low"); w.WriteEndObject();
            w.WriteStartObject("espeak"); w.WriteString("voice", "en-us"); w.WriteEndObject();
            w.WriteStartObject("inference"); w.WriteNumber("noise_scale", 0.667); w.WriteNumber("length_scale", 1.0); w.WriteNumber("noise_w", 0.8); w.WriteEndObject();
            w.WriteString("phoneme_type", "espeak");
            w.WriteNumber("num_speakers", 1);
            w.WriteStartObject("phoneme_id_map");
            int id = 0;
            foreach (var symbol in new[] { "_", "^", "$", " ", "!", "'", "(", ")", ",", "-", ".", ":", ";", "?" }) w.WriteNumberArray(symbol, [id++]);
            foreach (var rune in Symbols.EnumerateRunes()) w.WriteNumberArray(rune.ToString(), [id++]);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        File.WriteAllBytes(model + ".json", json.ToArray());
        return model;
    }

    private static void WriteNumberArray(this Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (int v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
