namespace EdgeVoice.WebRtc.Sdp;

/// <summary>Character classes and strict number parsing from the RFC 8866 / RFC 8839 grammars.</summary>
internal static class SdpSyntax
{
    /// <summary>RFC 8866 token-char: visible ASCII except the separators <c>"(),/:;&lt;=&gt;?@[\]{}</c> and space.</summary>
    public static bool IsTokenChar(char c) =>
        c is '!' or (>= '#' and <= '\'') or '*' or '+' or '-' or '.' or (>= '0' and <= '9')
            or (>= 'A' and <= 'Z') or (>= '^' and <= '~');

    public static bool IsToken(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
            return false;
        foreach (char c in value)
        {
            if (!IsTokenChar(c))
                return false;
        }
        return true;
    }

    /// <summary>An m= line proto: tokens joined by '/' (RFC 8866 §9).</summary>
    public static bool IsProto(ReadOnlySpan<char> value)
    {
        foreach (var range in value.Split('/'))
        {
            if (!IsToken(value[range]))
                return false;
        }
        return true;
    }

    /// <summary>RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/".</summary>
    public static bool IsIceChars(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/'))
                return false;
        }
        return true;
    }

    /// <summary>Decimal digits only (no sign, no spaces), at most <paramref name="max"/>.</summary>
    public static bool TryParseNumber(ReadOnlySpan<char> text, ulong max, out ulong value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
            return false;
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
                return false;
            ulong digit = (ulong)(c - '0');
            if (value > (max - digit) / 10)
                return false;
            value = value * 10 + digit;
        }
        return true;
    }

    public static bool TryParseInt(ReadOnlySpan<char> text, int max, out int value)
    {
        bool ok = TryParseNumber(text, (ulong)max, out ulong parsed);
        value = (int)parsed;
        return ok;
    }

    /// <summary>Printable, bounded text that is safe to repeat in an error message.</summary>
    public static string Quote(ReadOnlySpan<char> text)
    {
        var shown = text.Length > 40 ? text[..40] : text;
        Span<char> buffer = stackalloc char[shown.Length];
        for (int i = 0; i < shown.Length; i++)
            buffer[i] = shown[i] is >= ' ' and <= '~' ? shown[i] : '?';
        return "'" + new string(buffer) + (text.Length > 40 ? "...'" : "'");
    }
}
