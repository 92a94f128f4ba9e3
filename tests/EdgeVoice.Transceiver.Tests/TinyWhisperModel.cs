using System.Text;

namespace EdgeVoice.Transceiver.Tests;

/// <summary>
/// Writes a tiny random-weight Whisper model in whisper.cpp's ggml format (what convert-pt-to-ggml.py writes):
/// hparams, 80×201 mel filters, a 50,257-token vocabulary, then every tensor with its exact name and shape
/// (dims innermost-first). ftype 1: 2-D and conv weights f16; 1-D tensors, conv biases and positional embeddings f32.
/// </summary>
internal static class TinyWhisperModel
{
    public const int State = 64, Heads = 2, Layers = 1, Mels = 80, AudioContext = 1500, TextContext = 448;
    public const int Vocab = 51864; // English-only layout; tokens past the 50,257 written ones are whisper.cpp's specials

    public static void Write(string path, int seed)
    {
        var random = new Random(seed);
        using var file = new BinaryWriter(File.Create(path));
        file.Write(0x67676d6c); // "ggml"
        foreach (int h in new[] { Vocab, AudioContext, State, Heads, Layers, TextContext, State, Heads, Layers, Mels, 1 }) file.Write(h);

        file.Write(Mels);
        file.Write(201);
        for (int m = 0; m < Mels; m++)
            for (int f = 0; f < 201; f++)
                file.Write(Math.Abs(f - (m * 200 / Mels + 1)) <= 1 ? 0.01f : 0f); // triangular-ish bands

        file.Write(50_257);
        for (int i = 0; i < 50_257; i++)
        {
            // GPT-2 layout where whisper.cpp looks tokens up by text: printable bytes first, " " at 220 (suppress_blank needs it).
            var word = Encoding.UTF8.GetBytes(i < 94 ? ((char)(33 + i)).ToString() : i == 220 ? " " : $" w{i}");
            file.Write((uint)word.Length);
            file.Write(word);
        }

        void Tensor(string name, bool half, params int[] dims)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            file.Write(dims.Length);
            file.Write(nameBytes.Length);
            file.Write(half ? 1 : 0);
            foreach (int d in dims) file.Write(d);
            file.Write(nameBytes);
            long count = dims.Aggregate(1L, (a, b) => a * b);
            bool isNormWeight = name.EndsWith("ln.weight", StringComparison.Ordinal) || name.EndsWith("ln_post.weight", StringComparison.Ordinal) || name.EndsWith("_ln.weight", StringComparison.Ordinal);
            for (long i = 0; i < count; i++)
            {
                float v = isNormWeight ? 1f : name.EndsWith(".bias", StringComparison.Ordinal) ? 0f : (float)((random.NextDouble() - 0.5) * 0.1);
                if (half) file.Write((Half)v); else file.Write(v);
            }
        }

        void Block(string p, bool cross)
        {
            Tensor(p + "mlp_ln.weight", false, State);
            Tensor(p + "mlp_ln.bias", false, State);
            Tensor(p + "mlp.0.weight", true, State, 4 * State);
            Tensor(p + "mlp.0.bias", false, 4 * State);
            Tensor(p + "mlp.2.weight", true, 4 * State, State);
            Tensor(p + "mlp.2.bias", false, State);
            foreach (var a in cross ? new[] { "attn", "cross_attn" } : ["attn"])
            {
                Tensor(p + a + "_ln.weight", false, State);
                Tensor(p + a + "_ln.bias", false, State);
                Tensor(p + a + ".query.weight", true, State, State);
                Tensor(p + a + ".query.bias", false, State);
                Tensor(p + a + ".key.weight", true, State, State);
                Tensor(p + a + ".value.weight", true, State, State);
                Tensor(p + a + ".value.bias", false, State);
                Tensor(p + a + ".out.weight", true, State, State);
                Tensor(p + a + ".out.bias", false, State);
            }
        }

        Tensor("encoder.positional_embedding", false, State, AudioContext);
        Tensor("encoder.conv1.weight", true, 3, Mels, State);
        Tensor("encoder.conv1.bias", false, 1, State);
        Tensor("encoder.conv2.weight", true, 3, State, State);
        Tensor("encoder.conv2.bias", false, 1, State);
        Tensor("encoder.ln_post.weight", false, State);
        Tensor("encoder.ln_post.bias", false, State);
        for (int l = 0; l < Layers; l++) Block($"encoder.blocks.{l}.", cross: false);
        Tensor("decoder.positional_embedding", false, State, TextContext);
        Tensor("decoder.token_embedding.weight", true, State, Vocab);
        Tensor("decoder.ln.weight", false, State);
        Tensor("decoder.ln.bias", false, State);
        for (int l = 0; l < Layers; l++) Block($"decoder.blocks.{l}.", cross: true);
    }
}
