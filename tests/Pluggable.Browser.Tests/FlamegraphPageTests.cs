using Microsoft.Playwright;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Browser.Tests;

/// <summary>A generated flamegraph page, opened from disk in Chromium: it draws, searches, zooms, reverses and transforms.</summary>
[Collection(BrowserCollection.Name)]
public class FlamegraphPageTests(BrowserFixture browser) : IDisposable
{
    private const string Folded = """
        # event: cpu
        # unit: samples
        Main;Shop.Program+<>c.<Main>b__0_0;Shop.Orders.Place;Shop.Db.Query 60
        Main;Shop.Program+<>c.<Main>b__0_0;Shop.Orders.Place;List<T>.Add 10
        Main;Shop.Program+<>c.<Main>b__0_0;Shop.Cart.Add 25
        Main;Shop.Idle;</script><b>bold</b> 5

        """;

    private readonly TempFolder _folder = new("pluggable-page");
    private readonly List<string> _errors = [];

    public void Dispose() => _folder.Dispose();

    private async Task<IPage> OpenAsync(string folded, JArray? transforms = null)
    {
        var profile = FoldedFormat.Read(folded).Profile;
        var path = _folder.File($"page-{Guid.NewGuid():N}.html");
        await using (var file = File.Create(path))
        {
            await new FlamegraphRenderer().RenderAsync(BuiltInTransforms.Request(profile, transforms ?? []), file, CancellationToken.None);
        }
        var page = await browser.NewPageAsync(_errors);
        await page.GotoAsync("file://" + path);
        await page.WaitForFunctionAsync("() => window.flamegraph !== undefined");
        return page;
    }

    private static async Task<JsonFrame[]> DrawnAsync(IPage page) => await page.EvaluateJsonAsync<JsonFrame[]>("flamegraph.drawn()");

    private static async Task<string[]> DrawnNamesAsync(IPage page) => (await DrawnAsync(page)).Select(f => f.Name).ToArray();

    [SkippableFact]
    public async Task The_page_draws_every_frame_and_shows_markup_in_names_as_text()
    {
        var page = await OpenAsync(Folded);

        var drawn = await DrawnNamesAsync(page);

        drawn.Should().Contain(["Main", "Shop.Orders.Place", "Shop.Db.Query", "List<T>.Add", "</script><b>bold</b>"]);
        (await page.QuerySelectorAsync("b:text('bold')")).Should().BeNull("a frame name must never become markup");
        (await page.EvaluateAsync<double>("() => flamegraph.total")).Should().Be(100);
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task Search_highlights_matches_and_reports_their_share()
    {
        var page = await OpenAsync(Folded);

        await page.FillAsync("#search", "Orders");

        (await page.TextContentAsync("#matched")).Should().StartWith("Matched: 70.00%");
        await page.FillAsync("#search", "/^Shop\\.(Cart|Idle)/");
        (await page.TextContentAsync("#matched")).Should().StartWith("Matched: 30.00%");
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task Clicking_a_frame_zooms_into_it_and_reset_zooms_out()
    {
        var page = await OpenAsync(Folded);
        var cart = (await DrawnAsync(page)).Single(r => r.Name == "Shop.Cart.Add");
        var placeWidthBefore = (await DrawnAsync(page)).Single(r => r.Name == "Shop.Orders.Place").Width;

        await page.Mouse.ClickAsync(cart.X + cart.Width / 2, cart.Y + 5);

        var zoomed = (await DrawnAsync(page));
        zoomed.Should().NotContain(r => r.Name == "Shop.Orders.Place", "only the zoomed frame's subtree and its ancestors stay");
        zoomed.Single(r => r.Name == "Shop.Cart.Add").Width.Should().BeGreaterThan(placeWidthBefore);
        (await page.TextContentAsync("#crumbs")).Should().Contain("Shop.Cart.Add");
        await page.ClickAsync("#reset");
        (await DrawnNamesAsync(page)).Should().Contain("Shop.Orders.Place");
    }

    [SkippableFact]
    public async Task Reverse_puts_the_hottest_leaves_at_the_root_without_reloading()
    {
        var page = await OpenAsync(Folded);

        await page.ClickAsync("#reverse");

        var roots = (await DrawnAsync(page)).Where(r => r.Depth == 0).Select(r => r.Name);
        roots.Should().BeEquivalentTo(["Shop.Db.Query", "List<T>.Add", "Shop.Cart.Add", "</script><b>bold</b>"]);
        (await page.EvaluateAsync<bool>("() => flamegraph.reversed")).Should().BeTrue();
    }

    [SkippableFact]
    public async Task A_transform_added_in_the_panel_reshapes_the_graph_live()
    {
        var page = await OpenAsync(Folded);

        await page.ClickAsync("#toggle-transforms");
        await page.SelectOptionAsync("#new-type", "name-lambdas");
        await page.ClickAsync("#add-transform");

        var drawn = await DrawnNamesAsync(page);
        drawn.Should().Contain("Shop.Program.Main.lambda").And.NotContain("Shop.Program+<>c.<Main>b__0_0");
        (await page.EvaluateJsonAsync<JArray>("flamegraph.transforms")).Should().HaveCount(1);
        await page.ClickAsync("#transform-list input[type=checkbox]");
        (await DrawnNamesAsync(page)).Should().Contain("Shop.Program+<>c.<Main>b__0_0", "a switched-off transform no longer applies");
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task The_default_transforms_the_page_was_rendered_with_are_applied_and_listed()
    {
        var page = await OpenAsync(Folded, JArray.Parse("""[{"type": "remove", "what": "Idle"}]"""));

        (await DrawnNamesAsync(page)).Should().NotContain("Shop.Idle");
        (await page.EvaluateAsync<double>("() => flamegraph.total")).Should().Be(95);
        await page.ClickAsync("#toggle-transforms");
        (await page.TextContentAsync("#transform-list")).Should().Contain("remove");
    }

    [SkippableFact]
    public async Task The_tree_drawn_as_embedded_is_the_one_the_page_builds_itself()
    {
        var page = await OpenAsync(Folded, JArray.Parse("""[{"type": "name-lambdas"}, {"type": "strip-generics"}]"""));
        var embedded = await DrawnAsync(page);

        await page.ClickAsync("#reverse");
        await page.ClickAsync("#reverse");

        (await DrawnAsync(page)).Should().Equal(embedded, "the host's transforms and order match the page's own");
        embedded.Select(f => f.Name).Should().Contain("Shop.Program.Main.lambda").And.NotContain("Shop.Program+<>c.<Main>b__0_0");
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task Right_click_filters_to_a_frame()
    {
        var page = await OpenAsync(Folded);
        var cart = (await DrawnAsync(page)).Single(r => r.Name == "Shop.Cart.Add");

        await page.Mouse.ClickAsync(cart.X + cart.Width / 2, cart.Y + 5, new MouseClickOptions { Button = MouseButton.Right });
        await page.ClickAsync("#menu button:text('Filter to stacks with this frame')");

        (await page.EvaluateAsync<double>("() => flamegraph.total")).Should().Be(25);
        (await DrawnNamesAsync(page)).Should().NotContain("Shop.Orders.Place");
    }

    public sealed record JsonFrame(string Name, float X, float Y, float Width, int Depth);
}
