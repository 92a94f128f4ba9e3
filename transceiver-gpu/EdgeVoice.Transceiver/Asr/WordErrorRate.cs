namespace EdgeVoice.Transceiver.Asr;

/// <summary>Word error rate: word-level Levenshtein distance over the reference length (lower case, punctuation ignored).</summary>
public static class WordErrorRate
{
    public static string[] Words(string text) =>
        text.ToLowerInvariant().Split([' ', '.', ',', '?', '!', ';', ':'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Substitutions + insertions + deletions turning <paramref name="reference"/> into <paramref name="hypothesis"/>.</summary>
    public static int Errors(string reference, string hypothesis)
    {
        var r = Words(reference);
        var h = Words(hypothesis);
        var previous = new int[h.Length + 1];
        var current = new int[h.Length + 1];
        for (int j = 0; j <= h.Length; j++) previous[j] = j;
        for (int i = 1; i <= r.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= h.Length; j++)
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + (r[i - 1] == h[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[h.Length];
    }
}
