using Microsoft.Playwright;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.Diffgraph;
using Pluggable.Testing;

namespace Pluggable.Browser.Tests;

/// <summary>A diffgraph page in Chromium: what grew is red, what shrank is blue, one-sided frames are marked, and normalization cancels out a longer profile.</summary>
[Collection(BrowserCollection.Name)]
public class DiffgraphPageTests(BrowserFixture browser) : IDisposable
{
    private const string Blue = "blue";
    private const string Red = "red";
    private readonly TempFolder _folder = new("pluggable-diff");
    private readonly List<string> _errors = [];

    public void Dispose() => _folder.Dispose();

    private async Task<IPage> OpenAsync(string before, string after, JObject? options = null)
    {
        var profiles = new[] { FoldedFormat.Read(before).Profile, FoldedFormat.Read(after).Profile };
        var path = _folder.File($"diff-{Guid.NewGuid():N}.html");
        await using (var file = File.Create(path))
        {
            await new DiffgraphRenderer().RenderAsync(new RenderRequest(profiles, [], options ?? new JObject()), file, CancellationToken.None);
        }
        var page = await browser.NewPageAsync(_errors);
        await page.GotoAsync("file://" + path);
        await page.WaitForFunctionAsync("() => window.flamegraph !== undefined");
        return page;
    }

    private static async Task<Weights> WeightsAsync(IPage page, string name) =>
        (await page.EvaluateJsonAsync<Weights[]>($"flamegraph.weightsOf({Newtonsoft.Json.JsonConvert.ToString(name)})")).Single();

    /// <summary>Which way a colour leans: "red" (grew), "blue" (shrank) or "neutral".</summary>
    private static string Hue(string rgb)
    {
        var parts = rgb.Trim("rgb()".ToCharArray()).Split(',').Select(int.Parse).ToArray();
        return parts[0] > parts[2] ? Red : parts[2] > parts[0] ? Blue : "neutral";
    }

    [SkippableFact]
    public async Task A_method_that_went_from_70_to_30_percent_is_blue_and_one_only_in_after_is_marked_red()
    {
        var page = await OpenAsync("Main;Parse 70\nMain;Render 30\n", "Main;Parse 30\nMain;Cache 60\nMain;Render 10\n");

        var parse = await WeightsAsync(page, "Parse");
        var cache = await WeightsAsync(page, "Cache");
        var render = await WeightsAsync(page, "Render");

        (parse.Before, parse.After).Should().Be((70, 30));
        Hue(parse.Colour).Should().Be(Blue, "its share fell from 70% to 30%");
        (cache.Before, cache.After).Should().Be((0, 60));
        cache.Colour.Should().Be("rgb(200,30,30)", "a frame only in after is marked");
        Hue(render.Colour).Should().Be(Blue);
        Hue((await WeightsAsync(page, "Main")).Colour).Should().Be("neutral", "Main is 100% on both sides");
        (await page.TextContentAsync("#summary")).Should().Contain("before: ").And.Contain("after: ").And.Contain("normalized");
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task A_profile_compared_with_itself_twice_as_long_shows_no_change_when_normalized()
    {
        var page = await OpenAsync("Main;Parse 70\nMain;Render 30\n", "Main;Parse 140\nMain;Render 60\n");

        foreach (var name in new[] { "Main", "Parse", "Render" })
        {
            Hue((await WeightsAsync(page, name)).Colour).Should().Be("neutral", $"{name} kept its share");
        }
    }

    [SkippableFact]
    public async Task Absolute_comparison_shows_the_longer_profile_as_growth()
    {
        var page = await OpenAsync("Main;Parse 70\nMain;Render 30\n", "Main;Parse 140\nMain;Render 60\n", new JObject { ["normalize"] = false });

        Hue((await WeightsAsync(page, "Parse")).Colour).Should().Be(Red);
        (await page.TextContentAsync("#summary")).Should().Contain("absolute values");
    }

    [SkippableFact]
    public async Task The_tooltip_shows_before_after_and_delta()
    {
        var page = await OpenAsync("Main;Parse 70\nMain;Render 30\n", "Main;Parse 30\nMain;Cache 60\nMain;Render 10\n");
        var parse = (await page.EvaluateJsonAsync<FlamegraphPageTests.JsonFrame[]>("flamegraph.drawn()")).Single(f => f.Name == "Parse");

        await page.Mouse.MoveAsync(parse.X + parse.Width / 2, parse.Y + 5);

        var tip = await page.TextContentAsync("#tip");
        tip.Should().Contain("before 70 samples (70.00%)").And.Contain("after 30 samples (30.00%)").And.Contain("delta −40 samples").And.Contain("-40.00 points");
    }

    public sealed record Weights(double Before, double After, string Colour);
}
