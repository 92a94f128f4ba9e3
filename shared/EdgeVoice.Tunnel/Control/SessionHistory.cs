using System.Text;

namespace EdgeVoice.Tunnel.Control;

public enum ConversationRole : byte
{
    User,
    Agent,
}

/// <summary>One turn of a conversation: what the caller said (final transcript) or what the agent answered.</summary>
public sealed record ConversationTurn(ConversationRole Role, string Text);

/// <summary>Why history metadata in a SessionOpen was not taken.</summary>
public enum SessionHistoryError
{
    None = 0,
    UnknownKey,
    EmptyText,
    TextTooLong,
    TooManyTurns,
    TooLarge,
}

/// <summary>
/// The conversation so far, carried in SessionOpen metadata when the relay moves a call to another transceiver
/// (docs/tunnel-wire-format.md §3): one item per turn, in order, key <c>history.user</c> or <c>history.agent</c>,
/// value the turn's text. Bounded to fit one control record beside the other metadata: the oldest turns are dropped.
/// </summary>
public static class SessionHistory
{
    public const string UserKey = "history.user";
    public const string AgentKey = "history.agent";
    private const string Prefix = "history.";
    /// <summary>Leaves 16 of the record's 64 metadata items for the rest (trace id, agent settings).</summary>
    public const int MaxTurns = ControlCodec.MaxMetadataItems - 16;
    /// <summary>A longer turn is cut to its first this many UTF-8 bytes.</summary>
    public const int MaxTurnBytes = 4096;
    /// <summary>Half of a control record's 64 KiB body, so history never crowds out the rest of a SessionOpen.</summary>
    public const int MaxTotalBytes = 32 * 1024;

    /// <summary>Appends the most recent turns that fit the bounds to <paramref name="metadata"/>; returns how many older turns were left out.</summary>
    public static int Append(IReadOnlyList<ConversationTurn> all, List<KeyValuePair<string, string>> metadata)
    {
        var turns = all.Where(t => t.Text.Length > 0).ToList();
        int first = turns.Count;
        int total = 0;
        // Walk back from the newest turn: the latest context matters most to the agent.
        while (first > 0 && turns.Count - first < MaxTurns)
        {
            var turn = turns[first - 1];
            int bytes = Math.Min(Encoding.UTF8.GetByteCount(turn.Text), MaxTurnBytes);
            if (total + bytes > MaxTotalBytes)
                break;
            total += bytes;
            first--;
        }
        for (int i = first; i < turns.Count; i++)
            metadata.Add(new(turns[i].Role == ConversationRole.User ? UserKey : AgentKey, Cut(turns[i].Text)));
        return all.Count - (turns.Count - first);
    }

    /// <summary>
    /// Reads the history items of a SessionOpen's metadata (other keys are not history and are skipped). Malformed history
    /// (an unknown history key, an empty or oversized turn, too many turns) is refused as a whole with the reason.
    /// </summary>
    public static bool TryRead(IReadOnlyList<KeyValuePair<string, string>> metadata, out List<ConversationTurn> turns, out SessionHistoryError error)
    {
        turns = [];
        int total = 0;
        foreach (var (key, value) in metadata)
        {
            if (!key.StartsWith(Prefix, StringComparison.Ordinal))
                continue;
            ConversationRole role;
            if (key == UserKey)
                role = ConversationRole.User;
            else if (key == AgentKey)
                role = ConversationRole.Agent;
            else
                return Fail(SessionHistoryError.UnknownKey, out turns, out error);
            if (value.Length == 0)
                return Fail(SessionHistoryError.EmptyText, out turns, out error);
            int bytes = Encoding.UTF8.GetByteCount(value);
            if (bytes > MaxTurnBytes)
                return Fail(SessionHistoryError.TextTooLong, out turns, out error);
            if (turns.Count == MaxTurns)
                return Fail(SessionHistoryError.TooManyTurns, out turns, out error);
            total += bytes;
            if (total > MaxTotalBytes)
                return Fail(SessionHistoryError.TooLarge, out turns, out error);
            turns.Add(new ConversationTurn(role, value));
        }
        error = SessionHistoryError.None;
        return true;
    }

    private static bool Fail(SessionHistoryError reason, out List<ConversationTurn> turns, out SessionHistoryError error)
    {
        turns = [];
        error = reason;
        return false;
    }

    /// <summary>The text cut to at most <see cref="MaxTurnBytes"/> UTF-8 bytes, never inside a surrogate pair.</summary>
    private static string Cut(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) <= MaxTurnBytes)
            return text;
        int bytes = 0, chars = 0;
        while (chars < text.Length)
        {
            int width = char.IsSurrogatePair(text, chars) ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(text.AsSpan(chars, width));
            if (bytes + size > MaxTurnBytes)
                break;
            bytes += size;
            chars += width;
        }
        return text[..chars];
    }
}
