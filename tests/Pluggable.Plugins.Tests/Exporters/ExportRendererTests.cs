using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.Collapsed;
using Pluggable.Plugins.Pprof;
using Pluggable.Plugins.Speedscope;

namespace Pluggable.Plugins.Tests.Exporters;

/// <summary>The export renderers, read back by the formats' own parsers: the same stacks and totals come out.</summary>
public class ExportRendererTests
{
    private static readonly StackProfile Profile = FoldedFormat.Read("""
        # event: alloc
        # unit: bytes
        # samples: 12
        Main;Shop.Orders.Place;System.Byte[]_[s] 819200
        Main;Shop.Cart.Add;System.String_[s] 102400
        Main;memmove_[n] 4096

        """).Profile;

    private static async Task<byte[]> RenderAsync(IRenderer renderer)
    {
        using var output = new MemoryStream();
        await renderer.RenderAsync(new RenderRequest([Profile], [], new JObject()), output, CancellationToken.None);
        return output.ToArray();
    }

    private static Dictionary<string, long> Expected() =>
        Profile.Stacks.ToDictionary(s => string.Join(";", Profile.FrameNames(s)), s => s.Weight);

    [Fact]
    public async Task Pprof_read_back_by_protobuf_gives_the_same_stacks_totals_and_unit()
    {
        var bytes = await RenderAsync(new PprofRenderer());

        var pprof = PprofReading.Parse(bytes);
        var stacks = PprofReading.Stacks(pprof);

        stacks.Should().BeEquivalentTo(Expected());
        stacks.Values.Sum().Should().Be(Profile.TotalWeight);
        pprof.StringTable[0].Should().BeEmpty();
        pprof.StringTable[(int)pprof.SampleType.Single().Unit].Should().Be("bytes");
    }

    [Fact]
    public async Task Speedscope_json_holds_the_same_stacks_weights_and_unit()
    {
        var json = JObject.Parse(System.Text.Encoding.UTF8.GetString(await RenderAsync(new SpeedscopeRenderer())));

        json["$schema"]!.Value<string>().Should().Be(SpeedscopeRenderer.Schema);
        var frames = json["shared"]!["frames"]!.Select(f => f["name"]!.Value<string>()).ToArray();
        var profile = json["profiles"]![0]!;
        var samples = profile["samples"]!.Select(s => string.Join(";", s.Values<int>().Select(i => frames[i]))).ToArray();
        var weights = profile["weights"]!.Values<long>().ToArray();
        samples.Zip(weights).ToDictionary(p => p.First, p => p.Second).Should().BeEquivalentTo(Expected());
        profile["unit"]!.Value<string>().Should().Be("bytes");
        profile["endValue"]!.Value<long>().Should().Be(Profile.TotalWeight);
    }

    [Fact]
    public async Task Collapsed_is_the_folded_text_of_the_transformed_profile()
    {
        var text = System.Text.Encoding.UTF8.GetString(await RenderAsync(new CollapsedRenderer()));

        var read = FoldedFormat.Read(text);
        read.Errors.Should().BeEmpty();
        read.Profile.Stacks.ToDictionary(s => string.Join(";", read.Profile.FrameNames(s)), s => s.Weight).Should().BeEquivalentTo(Expected());
        read.Profile.Metadata.Unit.Should().Be(KnownUnits.Bytes);
    }
}
