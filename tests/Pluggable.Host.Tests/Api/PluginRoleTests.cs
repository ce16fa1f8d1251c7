using System.Net;
using System.Text;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Plugins.Diffgraph;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

/// <summary>
/// The host picks the page after a stop, the diff and the default event type by what the plugins declare (a role
/// and a priority), never by their names: a dropped-in replacement takes over without a host edit.
/// </summary>
public class PluginRoleTests
{
    [Fact]
    public async Task A_page_renderer_of_higher_priority_makes_the_page_of_every_stop()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler(), new FlamegraphRenderer(), new FixedRenderer("betterpage", 1, RendererRole.Page, priority: 10)]);

        await host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
        var stopped = await host.PostOkAsync("/api/profiler/stop", new { });

        stopped["files"]!.Select(f => f["kind"]!.ToString()).Should().Contain("betterpage").And.NotContain("flamegraph");
        var renderers = await host.GetJsonAsync("/api/renderers");
        renderers.Single(r => r["name"]!.ToString() == "betterpage")["chosen"]!.Value<bool>().Should().BeTrue();
        renderers.Single(r => r["name"]!.ToString() == "flamegraph")["chosen"]!.Value<bool>().Should().BeFalse();
    }

    [Fact]
    public async Task A_diff_uses_the_diff_renderer_unless_the_request_names_another()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler(), new FlamegraphRenderer(), new DiffgraphRenderer(), new FixedRenderer("changes", 2, RendererRole.Export)]);
        var ids = new List<int>();
        for (var i = 0; i < 2; i++)
        {
            await host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
            ids.Add((await host.PostOkAsync("/api/profiler/stop", new { }))["id"]!.Value<int>());
        }

        var byDefault = await host.PostOkAsync("/api/diffgraph", new { before = ids[0], after = ids[1] });
        var named = await host.PostOkAsync("/api/diffgraph", new { before = ids[0], after = ids[1], renderer = "changes" });

        byDefault["kind"]!.ToString().Should().Be("diffgraph");
        named["kind"]!.ToString().Should().Be("changes");
    }

    [Theory]
    [InlineData("/api/render")]
    [InlineData("/api/flamegraph")]
    public async Task A_stored_profile_is_rendered_again_at_render_and_at_its_older_name(string path)
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler(), new FlamegraphRenderer(), new FixedRenderer("export", 1, RendererRole.Export)]);
        await host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
        var id = (await host.PostOkAsync("/api/profiler/stop", new { }))["id"]!.Value<int>();

        var page = await host.PostOkAsync(path, new { id });
        var export = await host.PostOkAsync(path, new { id, renderer = "export" });

        page["kind"]!.ToString().Should().Be("flamegraph", "without a renderer, the page renderer");
        export["kind"]!.ToString().Should().Be("export");
    }

    [Fact]
    public async Task A_start_without_an_event_runs_the_available_type_that_asks_most_to_be_the_default()
    {
        var low = new ScriptedSampler("first");
        var high = new ScriptedSampler("preferred") { DefaultPriority = 5 };
        await using var host = await TestHost.StartAsync([low, high, new FlamegraphRenderer()]);

        var started = await host.PostOkAsync("/api/profiler/start", new { });
        await host.PostOkAsync("/api/profiler/stop", new { });
        var types = await host.GetJsonAsync("/api/event-types");
        high.Availability = Availability.Unavailable("not here");
        var fallback = await host.PostOkAsync("/api/profiler/start", new { });

        started["event"]!.ToString().Should().Be("preferred");
        types.Single(t => t["default"]!.Value<bool>())["name"]!.ToString().Should().Be("preferred");
        fallback["event"]!.ToString().Should().Be("first", "the preferred one is unavailable");
    }

    /// <summary>A renderer that writes its own name: enough to see which one the host chose.</summary>
    private sealed class FixedRenderer(string name, int inputs, RendererRole role, int priority = 0) : IRenderer
    {
        public RendererInfo Info { get; } = new(name, "txt", "text/plain", inputs, $"writes '{name}'") { Role = role, Priority = priority };

        public Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken) =>
            output.WriteAsync(Encoding.UTF8.GetBytes(name), cancellationToken).AsTask();
    }
}
