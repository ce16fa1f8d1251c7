using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Plugins;

public class PluginLoadingTests(DroppedPluginsFixture dropped) : IClassFixture<DroppedPluginsFixture>
{
    [Fact]
    public async Task A_plugin_folder_dropped_in_adds_its_event_type_without_a_host_rebuild()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins, dropped.PluginsFolder]);

        var types = (JArray)await host.GetJsonAsync("/api/event-types");
        var stopped = await host.ProfileAsync("dropin", TimeSpan.FromMilliseconds(50));

        types.Select(t => t["name"]!.Value<string>()).Should().Contain("dropin").And.Contain("alloc");
        types.Single(t => t["name"]!.Value<string>() == "dropin")["plugin"]!.Value<string>().Should().Be("dropin-sampler");
        stopped["files"]!.Select(f => f["kind"]!.Value<string>()).Should().Equal("raw", "flamegraph");
    }

    [Fact]
    public async Task A_plugin_whose_constructor_throws_is_listed_as_failed_and_the_others_work()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins, dropped.PluginsFolder]);

        var plugins = ((JArray)await host.GetJsonAsync("/api/plugins")).ToDictionary(p => p["name"]!.Value<string>()!);

        plugins["throwing-sampler"]["status"]!.Value<string>().Should().Be("failed");
        plugins["throwing-sampler"]["error"]!.Value<string>().Should().Be("InvalidOperationException: the throwing sampler cannot start: no license key");
        plugins["dropin-sampler"]["status"]!.Value<string>().Should().Be("loaded");
        plugins["html-flamegraph"]["status"]!.Value<string>().Should().Be("loaded");
        var stopped = await host.ProfileAsync("dropin", TimeSpan.FromMilliseconds(20));
        stopped["id"]!.Value<int>().Should().Be(1);
    }

    [Fact]
    public async Task A_folder_without_its_assembly_or_with_a_malformed_manifest_is_listed_as_failed_saying_why()
    {
        await using var host = await TestHost.StartAsync([dropped.PluginsFolder]);

        var plugins = ((JArray)await host.GetJsonAsync("/api/plugins")).ToDictionary(p => p["name"]!.Value<string>()!);

        plugins["no-assembly"]["status"]!.Value<string>().Should().Be("failed");
        plugins["no-assembly"]["error"]!.Value<string>().Should().StartWith("no plugin assembly: no-assembly.dll is not in");
        plugins["bad-manifest"]["status"]!.Value<string>().Should().Be("failed");
        plugins["bad-manifest"]["error"]!.Value<string>().Should().Match("*plugin.json line 4, position *");
    }

    [Fact]
    public async Task A_plugin_runs_with_its_own_version_of_a_dependency_the_host_also_uses()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins, dropped.PluginsFolder]);

        var types = (JArray)await host.GetJsonAsync("/api/event-types");

        var pluginVersion = Version.Parse(types.Single(t => t["name"]!.Value<string>() == "olderdependency")["description"]!.Value<string>()!["NETCore.Client ".Length..]);
        var hostVersion = typeof(Microsoft.Diagnostics.NETCore.Client.DiagnosticsClient).Assembly.GetName().Version!;
        pluginVersion.Should().BeLessThan(hostVersion, "the plugin runs with the older copy from its own folder, the host with its own");
    }

    [Fact]
    public async Task The_bundled_plugins_load_from_the_built_plugins_folder()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        var plugins = (JArray)await host.GetJsonAsync("/api/plugins");

        plugins.Should().NotBeEmpty();
        plugins.Should().OnlyContain(p => p["status"]!.Value<string>() == "loaded");
        ((JArray)await host.GetJsonAsync("/api/event-types")).Select(t => t["name"]!.Value<string>())
            .Should().Contain(["alloc", "lock", "wall", "exceptions"]);
        ((JArray)await host.GetJsonAsync("/api/renderers")).Select(r => (r["name"]!.Value<string>(), r["plugin"]!.Value<string>(), r["role"]!.Value<string>()))
            .Should().Contain([("flamegraph", "html-flamegraph", "page"), ("diffgraph", "diffgraph", "diff"), ("collapsed", "collapsed", "export")], "each renderer is a plugin of its own");
    }
}
