using System.Net;
using System.Text.RegularExpressions;
using EdgeVoice.Relay.Tests.Support;
using Xunit.Abstractions;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>
/// A relay binary started from its folder answers a real browser offer (Chromium 156, captured in
/// tests/clients/offers/) with an ICE-lite, DTLS-passive answer that names its one UDP port.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class RelayAnswerTests(ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The published Native-AOT binary runs on its own: no runtime, no managed assemblies beside it.</summary>
    [Fact]
    [Trait("Needs", "edgevoice-relay")]
    public async Task Published_native_relay_starts_from_its_folder_and_answers_a_Chromium_offer()
    {
        var binary = RepoPaths.PublishedRelay;
        Assert.True(File.Exists(binary), $"{binary} is missing: .ci/run publishes it with `dotnet publish relay-aot/EdgeVoice.Relay -c Release -r linux-x64 -o artifacts/relay`.");
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(binary)[..4]);
        Assert.False(File.Exists(Path.ChangeExtension(binary, ".dll")), "a managed edgevoice-relay.dll beside the binary: the publish was not Native AOT");

        await using var relay = await RelayProcess.StartAsync(RelayKind.EdgeVoice, output);
        await AssertAnswersAndHangsUpAsync(relay);
    }

    /// <summary>The same checks against the pion baseline, which shows they pass on a relay known to work.</summary>
    [Fact]
    public async Task Pion_baseline_answers_a_Chromium_offer()
    {
        await using var relay = await RelayProcess.StartAsync(RelayKind.Pion, output);
        await AssertAnswersAndHangsUpAsync(relay);
    }

    [Fact]
    public async Task Offer_with_a_wrong_key_is_refused_with_401()
    {
        await using var relay = await RelayProcess.StartAsync(output);
        using var response = await PostOfferAsync(relay, "wrong-" + relay.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private async Task AssertAnswersAndHangsUpAsync(RelayProcess relay)
    {
        using var response = await PostOfferAsync(relay, relay.Key);
        var answer = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{(int)response.StatusCode} {response.Headers.Location}\n{answer}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/sdp", response.Content.Headers.ContentType?.MediaType);
        var location = response.Headers.Location?.OriginalString ?? "";
        Assert.Matches("^/v1/calls/[A-Za-z0-9_-]+$", location);

        var lines = answer.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        Assert.Equal("v=0", lines[0]);
        Assert.Contains("a=ice-lite", lines);
        Assert.Contains("a=setup:passive", lines);
        Assert.Contains("a=rtcp-mux", lines);
        Assert.Contains("a=mid:0", lines);
        Assert.Contains("a=rtpmap:111 opus/48000/2", lines);
        Assert.Contains(lines, l => Fingerprint().IsMatch(l));
        Assert.Contains(lines, l => l.StartsWith("a=ice-ufrag:", StringComparison.Ordinal) && l.Length >= "a=ice-ufrag:".Length + 4);
        Assert.Contains(lines, l => l.StartsWith("a=ice-pwd:", StringComparison.Ordinal) && l.Length >= "a=ice-pwd:".Length + 22);
        var audio = Assert.Single(lines, l => l.StartsWith("m=", StringComparison.Ordinal));
        Assert.Matches(@"^m=audio [1-9][0-9]* UDP/TLS/RTP/SAVPF 111( |$)", audio);
        Assert.Contains(lines, l => l == "a=sendrecv");
        // The one UDP port, as a host candidate the caller can reach.
        Assert.Contains(lines, l => Regex.IsMatch(l, $@"^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 {relay.Endpoints.Udp.Port} typ host( |$)"));

        using var hangUp = new HttpRequestMessage(HttpMethod.Delete, new Uri(relay.BaseUri, location));
        hangUp.Headers.Authorization = new("Bearer", relay.Key);
        using var deleted = await Http.SendAsync(hangUp);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostOfferAsync(RelayProcess relay, string key)
    {
        var offer = string.Join("\r\n", File.ReadAllLines(Path.Combine(RepoPaths.Clients, "offers", "chromium-156-audio.sdp"))) + "\r\n";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(relay.BaseUri, "/v1/calls"))
        {
            Content = new StringContent(offer, System.Text.Encoding.UTF8, "application/sdp"),
        };
        request.Content.Headers.ContentType!.CharSet = null;
        request.Headers.Authorization = new("Bearer", key);
        return await Http.SendAsync(request);
    }

    [GeneratedRegex("^a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$")]
    private static partial Regex Fingerprint();
}
