using System.IO.Compression;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Sdk;

/// <summary>Third-party plugins built from the samples, the guide and the template, used through the API.</summary>
[Collection(ProfilingCollection.Name)]
public class PluginSdkTests(PluginSdkFixture sdk) : IClassFixture<PluginSdkFixture>
{
    [Fact]
    public async Task The_sample_renderer_from_the_guide_renders_a_stored_profile_as_a_top_list()
    {
        await using var target = await FixtureProcess.StartAsync("exceptions");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins, sdk.PluginsFolder], pid: target.Pid);
        var stopped = await host.ProfileAsync("exceptions", TimeSpan.FromSeconds(1));

        var file = await host.PostOkAsync("/api/flamegraph", new { id = stopped["id"], renderer = "topself", options = new { renderers = new { topself = new { count = 3 } } } });
        var report = await host.Client.GetStringAsync($"/profiles/{file["name"]}");

        file["name"]!.Value<string>().Should().MatchRegex(@"^1-exceptions-topself-\d{8}-\d{6}\.top\.txt$");
        report.Should().StartWith("Top 3 frames by self samples (exceptions, total ");
        report.Should().Contain("System.InvalidOperationException");
        report.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.Should().BeLessThanOrEqualTo(2 + 3);
    }

    [Fact]
    public async Task The_sample_gc_pause_sampler_measures_the_pauses_of_an_allocating_process()
    {
        await using var target = await FixtureProcess.StartAsync("alloc");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins, sdk.PluginsFolder], pid: target.Pid);

        var stopped = await host.ProfileAsync("gcpause", TimeSpan.FromSeconds(2));

        stopped["samples"]!.Value<long>().Should().BeGreaterThan(0, "the workload allocates gigabytes a second, so it collects garbage");
        var raw = await host.Client.GetStringAsync($"/profiles/{stopped["files"]![0]!["name"]}");
        raw.Should().MatchRegex(@"GC_\[r\];gen\d_\[r\];\w+_\[r\] \d+");
    }

    [Fact]
    public async Task A_project_made_from_the_template_builds_and_samples_through_the_API()
    {
        await using var target = await FixtureProcess.StartAsync("cpu");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins, sdk.PluginsFolder], pid: target.Pid);

        var stopped = await host.ProfileAsync("acme_threads", TimeSpan.FromMilliseconds(600));

        var raw = await host.Client.GetStringAsync($"/profiles/{stopped["files"]![0]!["name"]}");
        raw.Should().Contain("workload-0_[s];running_[s]");
    }

    [Fact]
    public async Task A_plugin_built_for_another_contract_version_is_listed_as_failed_saying_both_versions()
    {
        await using var host = await TestHost.StartAsync([sdk.PluginsFolder]);

        var plugins = ((JArray)await host.GetJsonAsync("/api/plugins")).ToDictionary(p => p["name"]!.Value<string>()!);

        plugins["future-renderer"]["status"]!.Value<string>().Should().Be("failed");
        plugins["future-renderer"]["error"]!.Value<string>().Should().StartWith($"built for contract 2, host has {PluginContract.Version}");
        plugins["topself-renderer"]["status"]!.Value<string>().Should().Be("loaded", "the same code built for this contract loads");
    }

    [Fact]
    public void The_packages_build_with_the_contracts_and_the_bundled_plugins()
    {
        using var core = ZipFile.OpenRead(Directory.GetFiles(sdk.Feed, $"Pluggable.Core.{sdk.CoreVersion}.nupkg").Single());
        using var host = ZipFile.OpenRead(Directory.GetFiles(sdk.Feed, "Pluggable.Host.*.nupkg").Single());

        core.Entries.Select(e => e.FullName).Should().Contain("lib/net10.0/Pluggable.Core.dll");
        host.Entries.Select(e => e.FullName).Should().Contain("lib/net10.0/Pluggable.Host.dll")
            .And.Contain("contentFiles/any/net10.0/plugins/perf-sampler/perf-sampler.dll")
            .And.Contain("contentFiles/any/net10.0/plugins/html-flamegraph/html-flamegraph.dll");
    }

    [Fact]
    public void The_guides_walk_through_is_the_sample_that_the_tests_build()
    {
        var guide = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "writing-a-plugin.md"));
        var blocks = Regex.Matches(guide, "```(?:csharp|xml)\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value.TrimEnd()).ToArray();
        var sample = Path.Combine(RepoPaths.Root, "samples", "plugins", "TopSelfRenderer");

        blocks.Should().Contain(File.ReadAllText(Path.Combine(sample, "TopSelfRenderer.cs")).TrimEnd());
        blocks.Should().Contain(File.ReadAllText(Path.Combine(sample, "TopSelfRenderer.csproj")).TrimEnd());
    }
}
