using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

/// <summary>GET /api/renderers over the bundled plugins, as loaded from their folders: each renderer, its plugin and role, and the one chosen per role.</summary>
public class RendererListTests
{
    [Fact]
    public async Task The_bundled_renderers_are_listed_with_their_plugin_and_role_and_the_page_and_diff_ones_chosen()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        var renderers = (JArray)await host.GetJsonAsync("/api/renderers");

        renderers.Select(r => (r["name"]!.Value<string>(), r["plugin"]!.Value<string>(), r["role"]!.Value<string>(), r["chosen"]!.Value<bool>())).Should().BeEquivalentTo(new[]
        {
            ("flamegraph", "html-flamegraph", "page", true),
            ("diffgraph", "diffgraph", "diff", true),
            ("collapsed", "collapsed", "export", false),
            ("speedscope", "speedscope", "export", false),
            ("pprof", "pprof", "export", false),
        }, "exports are rendered only when a request names them: none is chosen");
        renderers.Should().AllSatisfy(r => r.Select(p => ((JProperty)p).Name).Should().BeEquivalentTo("name", "fileExtension", "inputs", "description", "role", "chosen", "plugin"));
        renderers.Single(r => r["name"]!.Value<string>() == "pprof")["fileExtension"]!.Value<string>().Should().Be("pb.gz");
        renderers.Single(r => r["name"]!.Value<string>() == "diffgraph")["inputs"]!.Value<int>().Should().Be(2);
    }
}
