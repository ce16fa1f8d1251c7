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
        await new FlamegraphRenderer().RenderAsync(new RenderRequest([profile], transforms ?? [], new JObject()), output, CancellationToken.None);
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
        html.Split("</script>").Should().HaveCount(2, "only the page's own script element may close");
        EmbeddedPageData.FrameNames(html).Should().Equal(names);
        html.Should().Contain("<title>cpu flamegraph of &lt;img src=x onerror=alert(1)&gt;</title>");
    }

    [Fact]
    public async Task The_page_data_holds_the_call_tree_that_rebuilds_the_folded_profile()
    {
        var profile = FoldedFormat.Read("Main;Run;Hot 70\nMain;Run;Cold 20\nMain;Run 10\nMain;Other 5\n").Profile;

        var data = EmbeddedPageData.Read(await RenderAsync(profile));

        var frames = data["frames"]!.Values<string>().ToArray();
        var f = data["nodes"]!["f"]!.Values<int>().ToArray();
        var d = data["nodes"]!["d"]!.Values<int>().ToArray();
        var w = data["nodes"]!["w"]!.Values<long>().ToArray();
        var stacks = new Dictionary<string, long>();
        var path = new List<string>();
        for (var i = 0; i < f.Length; i++)
        {
            path.RemoveRange(d[i], path.Count - d[i]);
            path.Add(frames[f[i]]!);
            var children = Enumerable.Range(i + 1, f.Length - i - 1).TakeWhile(j => d[j] > d[i]).Where(j => d[j] == d[i] + 1).Sum(j => w[j]);
            if (w[i] - children > 0)
            {
                stacks[string.Join(";", path)] = w[i] - children;
            }
        }
        stacks.Should().BeEquivalentTo(new Dictionary<string, long>
        {
            ["Main;Run;Hot"] = 70, ["Main;Run;Cold"] = 20, ["Main;Run"] = 10, ["Main;Other"] = 5,
        });
        data["meta"]!["total"]!.Value<long>().Should().Be(105);
    }

    [Fact]
    public async Task The_page_is_self_contained()
    {
        var html = await RenderAsync(FoldedFormat.Read("A;B 1\n").Profile);

        html.Should().NotContain("src=\"http").And.NotContain("href=\"http").And.NotContain("<link");
    }
}
