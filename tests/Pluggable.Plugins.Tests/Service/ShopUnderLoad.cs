using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.Service;

/// <summary>
/// The shop service (tests/Fixtures/Service) and its load, started once for a test class and warmed until tiering
/// has settled. It writes its perf map from the start, so that perf record can name its jitted frames too.
/// </summary>
public sealed class ShopUnderLoad : IAsyncLifetime
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(12);

    public FixtureProcess Shop { get; private set; } = null!;

    public FixtureProcess Load { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Shop = await FixtureProcess.StartAsync(RepoPaths.ServiceFixture, ["serve"], new Dictionary<string, string> { ["DOTNET_PerfMapEnabled"] = "1" });
        Load = await FixtureProcess.StartAsync(RepoPaths.ServiceFixture, ["load", Shop.Ready[0], "16", "800"]);
        await Task.Delay(WarmUp);
        (await Shop.FreshCounterAsync("iterations")).Should().BeGreaterThan(1000, "the shop serves its load");
        Shop.Counter("errors").Should().Be(0);
    }

    public async Task DisposeAsync()
    {
        await Load.DisposeAsync();
        await Shop.DisposeAsync();
    }
}
