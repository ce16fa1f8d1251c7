using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.HtmlFlamegraph;

public class FlamegraphRendererTests
{
    private static async Task<string> RenderAsync(StackProfile profile, JArray? transforms = null)
    {
        using var output = new MemoryStream();
        await new FlamegraphRenderer().RenderAsync(BuiltInTransforms.Request(profile, transforms ?? []), output, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public async Task Frame_names_with_markup_are_escaped_in_the_page_and_read_back_unchanged()
    {
        string[] names = ["Program.<Main>b__0_0", "List<T>.Add", "A&B \"quoted\" 'single'", "</script><script>alert(1)</script>"];
        var builder = new StackProfileBuilder(new ProfileMetadata { Event = "cpu", TargetName = "<img src=x onerror=alert(1)>" });
        builder.Add(names, 5);

        var html = await RenderAsync(builder.Build());

        html.Should().NotContain("<Main>").And.NotContain("List<T>").And.NotContain("<img").And.NotContain("alert(1)</script>");
        html.Should().Contain("\\u003cMain\\u003e");
        html.Split("</script>").Should().HaveCount(3, "only the page's own two script elements may close");
        EmbeddedPageData.FrameNames(html).Should().Equal(names);
        html.Should().Contain("<title>cpu flamegraph of &lt;img src=x onerror=alert(1)&gt;</title>");
    }

    [Fact]
    public async Task The_reverse_option_reaches_the_page_and_an_unknown_option_fails_the_render_naming_it()
    {
        var profile = FoldedFormat.Read("Main;Hot 1\n").Profile;
        using var output = new MemoryStream();

        await new FlamegraphRenderer().RenderAsync(BuiltInTransforms.Request(profile, [], JObject.Parse("""{"reverse": true}""")), output, CancellationToken.None);
        var bogus = () => new FlamegraphRenderer().RenderAsync(BuiltInTransforms.Request(profile, [], JObject.Parse("""{"bogus": 1}""")), Stream.Null, CancellationToken.None);

        EmbeddedPageData.Read(System.Text.Encoding.UTF8.GetString(output.ToArray()))["options"]!["reverse"]!.Value<bool>().Should().BeTrue();
        await bogus.Should().ThrowAsync<Core.Options.OptionsException>().WithMessage("renderers.flamegraph: *bogus*");
    }

    [Fact]
    public async Task The_page_data_round_trips_to_the_same_folded_profile()
    {
        var profile = FoldedFormat.Read("Main;Run;Hot 70\nMain;Run;Cold 20\nMain;Run 10\nMain;Other 5\nKernel;do_syscall_64_[k] 3\n").Profile;

        var data = EmbeddedPageData.Read(await RenderAsync(profile));

        EmbeddedPageData.Stacks(data["tree"]!).Should().BeEquivalentTo(new Dictionary<string, long>
        {
            ["Main;Run;Hot"] = 70, ["Main;Run;Cold"] = 20, ["Main;Run"] = 10, ["Main;Other"] = 5, ["Kernel;do_syscall_64_[k]"] = 3,
        });
        data["profiles"]![0]!["total"]!.Value<long>().Should().Be(108);
    }

    [Fact]
    public async Task Weights_beyond_32_bits_round_trip()
    {
        var profile = FoldedFormat.Read("Main;Allocate 5000000000\nMain 1\n").Profile;

        var data = EmbeddedPageData.Read(await RenderAsync(profile));

        EmbeddedPageData.Stacks(data["tree"]!).Should().BeEquivalentTo(new Dictionary<string, long> { ["Main;Allocate"] = 5_000_000_000, ["Main"] = 1 });
    }

    [Fact]
    public async Task With_transforms_the_page_applies_it_gets_the_tree_before_them_and_the_view_after_them()
    {
        var sampled = FoldedFormat.Read("Main;Run;Hot 70\nMain;Other 5\n").Profile;

        var data = EmbeddedPageData.Read(await RenderAsync(sampled, [new JObject { ["type"] = "hide", ["what"] = "^Run$" }]));

        EmbeddedPageData.Stacks(data["tree"]!).Keys.Should().BeEquivalentTo(["Main;Run;Hot", "Main;Other"], "the user can change the transforms in the page");
        EmbeddedPageData.Stacks(data["view"]!).Keys.Should().BeEquivalentTo(["Main;Hot", "Main;Other"], "the page draws this first without applying them itself");
    }

    [Fact]
    public async Task Only_disabled_transforms_add_no_view()
    {
        var profile = FoldedFormat.Read("Main;Run 1\n").Profile;

        var data = EmbeddedPageData.Read(await RenderAsync(profile, [new JObject { ["type"] = "hide", ["what"] = "Run", ["enabled"] = false }]));

        data.ContainsKey("view").Should().BeFalse();
    }

    [Fact]
    public async Task The_page_is_smaller_than_the_folded_text_for_a_large_profile()
    {
        var random = new Random(7);
        var builder = new StackProfileBuilder(new ProfileMetadata { Event = "cpu" });
        var names = Enumerable.Range(0, 3000).Select(i => $"Shop.Module{i % 40}.Service{i % 300}.Method{i}").ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            var depth = random.Next(15, 45);
            var stack = new string[depth];
            for (var d = 0; d < depth; d++)
            {
                // Shared prefixes as in real profiles: the first frames come from few choices, later ones from many.
                stack[d] = names[random.Next(Math.Min(names.Length, 2 + d * d * 4))];
            }
            builder.Add(stack, random.Next(1, 50));
        }
        var large = builder.Build();

        var html = await RenderAsync(large);
        var folded = FoldedFormat.Write(large);

        html.Length.Should().BeLessThan(folded.Length, "frame names are written once and shared prefixes once");
        EmbeddedPageData.Stacks(EmbeddedPageData.Read(html)["tree"]!).Should().HaveCount(large.Stacks.Count);
    }

    [Fact]
    public async Task The_page_is_self_contained()
    {
        var html = await RenderAsync(FoldedFormat.Read("A;B 1\n").Profile);

        ExternalReferences.In(html).Should().BeEmpty();
        html.Should().NotContain("<link");
    }

    [Theory]
    [InlineData("<script src=\"//cdn.example/d3.js\"></script>")]
    [InlineData("<img src='https://cdn.example/logo.png'>")]
    [InlineData("<a href=http://example.com>")]
    [InlineData("body { background: url( \"//cdn.example/bg.png\" ) }")]
    [InlineData("@import \"https://fonts.example/font.css\";")]
    [InlineData("@import url(//fonts.example/font.css);")]
    [InlineData("import { draw } from 'https://cdn.example/draw.mjs';")]
    [InlineData("await import(\"//cdn.example/draw.mjs\")")]
    public void The_self_contained_check_finds_absolute_and_scheme_relative_references_in_any_quoting(string page)
    {
        ExternalReferences.In(page).Should().ContainSingle();
    }

    [Theory]
    [InlineData("<img src=\"data:image/png;base64,AAAA\">")]
    [InlineData("<a href=\"#frame\">")]
    [InlineData("document.createElementNS(\"http://www.w3.org/2000/svg\", \"rect\")")]
    public void The_self_contained_check_lets_inline_data_fragments_and_namespaces_through(string page)
    {
        ExternalReferences.In(page).Should().BeEmpty();
    }
}
