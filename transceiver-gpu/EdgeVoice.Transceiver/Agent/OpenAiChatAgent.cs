using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using EdgeVoice.Tunnel.Control;

namespace EdgeVoice.Transceiver.Agent;

/// <summary>Settings of an OpenAI-compatible chat-completions endpoint.</summary>
public sealed record OpenAiChatSettings(Uri BaseUrl, string Model, string? ApiKey, string SystemPrompt, int MaxHistory);

/// <summary>
/// Streams replies from an OpenAI-compatible <c>/chat/completions</c> endpoint (server-sent events) and keeps the
/// conversation history. JSON is written and read with Utf8JsonWriter/JsonDocument: no reflection.
/// </summary>
public sealed class OpenAiChatAgent(HttpClient http, OpenAiChatSettings settings) : IAgent
{
    private readonly List<(string Role, string Content)> _history = new();

    public string Name => "openai";
    public IReadOnlyList<(string Role, string Content)> History => _history;

    public async IAsyncEnumerable<string> ReplyAsync(string userText, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.BaseUrl.ToString().TrimEnd('/') + "/chat/completions"))
        {
            Content = new ByteArrayContent(RequestBody(userText)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (!string.IsNullOrEmpty(settings.ApiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpRequestException($"{(int)response.StatusCode} {response.ReasonPhrase} from {request.RequestUri}: {body[..Math.Min(body.Length, 200)]}", null, response.StatusCode);
        }
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var reply = new StringBuilder();
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
                string data = line[5..].Trim();
                if (data == "[DONE]") break;
                string? piece = DeltaContent(data);
                if (string.IsNullOrEmpty(piece)) continue;
                reply.Append(piece);
                yield return piece;
            }
        }
        finally
        {
            // What was said, even if cut off by barge-in, is what the caller heard: keep it in the history.
            Remember("user", userText);
            if (reply.Length > 0) Remember("assistant", reply.ToString());
        }
    }

    /// <summary>The call's earlier turns become the start of the messages (within max_history, newest kept).</summary>
    public void TakePriorTurns(IReadOnlyList<ConversationTurn> turns)
    {
        foreach (var turn in turns)
            Remember(turn.Role == ConversationRole.User ? "user" : "assistant", turn.Text);
    }

    private void Remember(string role, string content)
    {
        _history.Add((role, content));
        while (_history.Count > settings.MaxHistory) _history.RemoveAt(0);
    }

    private byte[] RequestBody(string userText)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", settings.Model);
            json.WriteBoolean("stream", true);
            json.WriteStartArray("messages");
            WriteMessage(json, "system", settings.SystemPrompt);
            foreach (var (role, content) in _history) WriteMessage(json, role, content);
            WriteMessage(json, "user", userText);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteMessage(Utf8JsonWriter json, string role, string content)
    {
        json.WriteStartObject();
        json.WriteString("role", role);
        json.WriteString("content", content);
        json.WriteEndObject();
    }

    /// <summary><c>choices[0].delta.content</c> of one streamed chunk; malformed chunks are an error of the server.</summary>
    internal static string? DeltaContent(string data)
    {
        try
        {
            using var doc = JsonDocument.Parse(data);
            if (doc.RootElement.TryGetProperty("error", out var error))
                throw new HttpRequestException("agent server error: " + error.ToString());
            if (!doc.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0) return null;
            var first = choices[0];
            return first.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
                && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
                ? content.GetString()
                : null;
        }
        catch (JsonException e)
        {
            throw new HttpRequestException($"agent server sent malformed JSON: {e.Message}", e);
        }
    }

    public void Dispose() { }
}
