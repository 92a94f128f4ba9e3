using Microsoft.Playwright;

namespace EdgeVoice.Relay.Tests.EndToEnd;

/// <summary>End-to-end tests run one at a time: real calls share two cores, and timing assertions need them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "EndToEnd";
}

/// <summary>Playwright's Node driver (bundled in the NuGet package, copied next to the tests): one per run.</summary>
public sealed class PlaywrightDriver : IAsyncLifetime
{
    public IPlaywright Playwright { get; private set; } = null!;

    public async Task InitializeAsync() => Playwright = await Microsoft.Playwright.Playwright.CreateAsync();

    public Task DisposeAsync()
    {
        Playwright.Dispose();
        return Task.CompletedTask;
    }
}
