using System.Net;
using Newtonsoft.Json.Linq;
using Pluggable.Plugins.Diffgraph;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

public class DiffgraphApiTests : IAsyncLifetime
{
    private readonly ScriptedSampler _sampler = new("scripted");
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync([_sampler, new FlamegraphRenderer(), new DiffgraphRenderer()]);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Diffgraph_of_two_stored_profiles_is_stored_named_by_both_ids_and_listed_as_a_diffgraph()
    {
        _sampler.Folded = "Main;Parse 70\nMain;Render 30\n";
        var before = await _host.ProfileAsync("scripted", TimeSpan.Zero);
        _sampler.Folded = "Main;Parse 30\nMain;Cache 60\nMain;Render 10\n";
        var after = await _host.ProfileAsync("scripted", TimeSpan.Zero);

        var file = await _host.PostOkAsync("/api/diffgraph", new { before = before["id"], after = after["id"] });

        file["name"]!.Value<string>().Should().MatchRegex(@"^1-2-diffgraph-\d{8}-\d{6}\.html$");
        file["kind"]!.Value<string>().Should().Be("diffgraph");
        file["other"]!.Value<int>().Should().Be(2);
        var listed = ((JArray)await _host.GetJsonAsync("/api/profiles")).Single(f => f["kind"]!.Value<string>() == "diffgraph");
        listed["name"]!.Value<string>().Should().Be(file["name"]!.Value<string>());
        var data = EmbeddedPageData.Read(await _host.Client.GetStringAsync($"/profiles/{file["name"]}"));
        data["tree"]!["s"]!.Should().HaveCount(2, "the page holds both sides");
        data["profiles"]!.Select(p => p["total"]!.Value<long>()).Should().Equal(100, 100);
    }

    [Fact]
    public async Task Diffgraph_options_are_validated()
    {
        await _host.ProfileAsync("scripted", TimeSpan.Zero);
        await _host.ProfileAsync("scripted", TimeSpan.Zero);

        var response = await _host.PostJsonAsync("/api/diffgraph", new { before = 1, after = 2, options = new { renderers = new { diffgraph = new { normalise = false } } } });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("renderers.diffgraph").And.Contain("normalise");
    }
}
