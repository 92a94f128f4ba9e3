using System.Text;

namespace EdgeVoice.Transceiver.Agent;

/// <summary>Collects streamed tokens and releases whole sentences, so TTS can start before the reply is complete.</summary>
public sealed class SentenceChunker(int minSentenceChars = 12)
{
    private readonly StringBuilder _pending = new();

    /// <summary>Adds a token; returns the sentences it completed.</summary>
    public IEnumerable<string> Add(string token)
    {
        _pending.Append(token);
        while (TryCut(out var sentence)) yield return sentence;
    }

    /// <summary>What is left at the end of the stream.</summary>
    public string? Flush()
    {
        var rest = _pending.ToString().Trim();
        _pending.Clear();
        return rest.Length == 0 ? null : rest;
    }

    private bool TryCut(out string sentence)
    {
        for (int i = 0; i < _pending.Length - 1; i++)
        {
            char c = _pending[i];
            bool end = c is '.' or '!' or '?' or ';' or '\n';
            // Needs the following whitespace, so "3.5" and "e.g." mid-token do not split.
            if (!end || !char.IsWhiteSpace(_pending[i + 1]) || i + 1 < minSentenceChars) continue;
            sentence = _pending.ToString(0, i + 1).Trim();
            _pending.Remove(0, i + 1);
            if (sentence.Length > 0) return true;
        }
        sentence = string.Empty;
        return false;
    }
}
