using Newtonsoft.Json.Linq;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Plugins.Pprof;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.Exporters;

/// <summary>POST /api/render with <c>"renderer": "pprof"</c>: the export is stored beside the profile, listed and served as a file pprof reads.</summary>
public class PprofOverHttpTests
{
    [Fact]
    public async Task Rendering_a_stored_profile_as_pprof_stores_a_pb_gz_that_protobuf_reads_back_with_its_stacks()
    {
        var sampler = new ScriptedSampler("scripted") { Folded = "Main;Work;Hot 70\nMain;Work;Cold 30\n" };
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer(), new PprofRenderer()]);
        var id = (await host.ProfileAsync("scripted", TimeSpan.Zero))["id"]!.Value<int>();

        var file = await host.PostOkAsync("/api/render", new { id, renderer = "pprof" });
        var name = file["name"]!.Value<string>()!;
        var served = await host.Client.GetAsync($"/profiles/{name}");
        var pprof = PprofReading.Parse(await served.Content.ReadAsByteArrayAsync());

        file["kind"]!.Value<string>().Should().Be("pprof");
        file["id"]!.Value<int>().Should().Be(id);
        name.Should().EndWith(".pb.gz");
        ((JArray)await host.GetJsonAsync("/api/profiles")).Select(f => f["name"]!.Value<string>()).Should().Contain(name);
        served.Content.Headers.ContentType!.MediaType.Should().Be("application/octet-stream");
        PprofReading.Stacks(pprof).Should().BeEquivalentTo(new Dictionary<string, long> { ["Main;Work;Hot"] = 70, ["Main;Work;Cold"] = 30 });
    }
}
