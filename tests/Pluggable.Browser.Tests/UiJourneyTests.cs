using Microsoft.Playwright;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Host;
using Pluggable.Plugins.Diffgraph;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Plugins.Transforms;
using Pluggable.Testing;

namespace Pluggable.Browser.Tests;

/// <summary>The profiler's page, driven in Chromium the way a user would, against real hosts.</summary>
[Collection(BrowserCollection.Name)]
public class UiJourneyTests(BrowserFixture browser, DroppedPluginsFixture dropped) : IClassFixture<DroppedPluginsFixture>
{
    private readonly List<string> _errors = [];

    private async Task<IPage> OpenAsync(TestHost host)
    {
        var page = await browser.NewPageAsync(_errors);
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GotoAsync(host.Address.ToString());
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#event option').length > 0 && document.querySelector('#target').textContent.includes('pid')");
        return page;
    }

    /// <summary>Where the journey's screenshots go: beside the test binaries, or docs/ to refresh the README's (see README.md).</summary>
    private static string ScreenshotFolder =>
        Environment.GetEnvironmentVariable("PLUGGABLE_SCREENSHOTS") is { Length: > 0 } folder ? Path.GetFullPath(folder) : Path.Combine(AppContext.BaseDirectory, "screenshots");

    [SkippableFact]
    public async Task A_user_profiles_alloc_and_gets_a_flamegraph_that_shows_the_hot_method_then_the_list_and_raw_files()
    {
        await using var target = await FixtureProcess.StartAsync("alloc");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);
        var page = await OpenAsync(host);

        await page.SelectOptionAsync("#event", "alloc");
        await page.ClickAsync("#toggle");
        await page.WaitForFunctionAsync("() => /Running alloc for 00:0[1-9]/.test(document.querySelector('#elapsed').textContent)");
        (await page.GetAttributeAsync("#toggle", "aria-pressed")).Should().Be("true");
        var flamegraph = await page.RunAndWaitForPopupAsync(() => page.ClickAsync("#toggle"));
        await flamegraph.WaitForURLAsync("**/profiles/*flamegraph*.html");
        await flamegraph.WaitForFunctionAsync("() => window.flamegraph !== undefined");

        var hot = await flamegraph.EvaluateAsync<double>("() => flamegraph.weightOf('Pluggable.Fixtures.AllocWorkload.AllocateLargeBuffers') / flamegraph.total");
        hot.Should().BeGreaterThan(0.8, "about 90% of the bytes are allocated there");
        await page.WaitForSelectorAsync("#profiles li");
        var entry = await page.TextContentAsync("#profiles li");
        entry.Should().Contain("#1").And.Contain("alloc").And.MatchRegex(@"[\d,]+ samples").And.MatchRegex(@"\d+(\.\d)? (B|KB|MB)");
        (await page.Locator("#profiles li.raw").CountAsync()).Should().Be(0, "the raw TXT files show only on the toggle");
        await page.CheckAsync("#show-raw");
        (await page.TextContentAsync("#profiles li.raw")).Should().Contain(".txt").And.Contain("TXT");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "ui.png") });
        await flamegraph.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, "flamegraph.png") });

        await page.ClickAsync("#delete-all");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#profiles li').length === 0");
        (await page.IsVisibleAsync("#empty")).Should().BeTrue();
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task The_dropdown_lists_exactly_the_loaded_event_types_with_unavailable_ones_disabled_and_explained()
    {
        var blocked = new ScriptedSampler("blocked") { Availability = Availability.Unavailable("perf_event_paranoid is 3", "sysctl -w kernel.perf_event_paranoid=1") };
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), blocked, new FlamegraphRenderer()]);
        var page = await OpenAsync(host);

        var options = await page.EvaluateJsonAsync<OptionState[]>("[...document.querySelectorAll('#event option')].map(o => ({ value: o.value, disabled: o.disabled, title: o.title }))");

        options.Select(o => o.Value).Should().Equal("scripted", "blocked");
        options.Single(o => o.Value == "blocked").Disabled.Should().BeTrue();
        options.Single(o => o.Value == "blocked").Title.Should().Contain("perf_event_paranoid is 3").And.Contain("sysctl");
        (await page.InputValueAsync("#event")).Should().Be("scripted", "the first available one is preselected when there is no cpu");
        (await page.TextContentAsync("#event-hint")).Should().Contain("blocked is unavailable: perf_event_paranoid is 3");
    }

    [SkippableFact]
    public async Task A_dropped_in_plugin_appears_in_the_dropdown_and_a_failed_one_is_shown_as_failed()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins, dropped.PluginsFolder]);
        var page = await OpenAsync(host);

        (await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#event option')].map(o => o.value)")).Should().Contain("dropin");
        (await page.TextContentAsync("#plugins-failed")).Should().MatchRegex(@"\(\d+ failed\)");
        (await page.TextContentAsync("#plugins")).Should().Contain("throwing-sampler: failed: InvalidOperationException: the throwing sampler cannot start: no license key");
        (await page.GetAttributeAsync("#plugins-panel", "open")).Should().NotBeNull("failures open the panel");
    }

    [SkippableFact]
    public async Task The_setup_panel_lists_each_samplers_checks_under_its_plugin_and_says_when_something_is_to_fix()
    {
        await using var host = await TestHost.StartAsync([dropped.PluginsFolder]);
        var page = await OpenAsync(host);

        await page.ClickAsync("#setup-panel summary");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#setup li').length > 0");

        var rows = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('#setup li')].map(li => li.textContent)");
        var dropin = Array.IndexOf(rows, "dropin-sampler");
        dropin.Should().BeGreaterThanOrEqualTo(0, "each sampler's checks come under its plugin's name");
        rows[dropin + 1].Should().Be("passdropin clock: the wall clock runsdropin counts milliseconds of it");
        rows[dropin + 2].Should().StartWith("warndropin target: pid ").And.EndWith("fix: use a real sampler");
        (await page.TextContentAsync("#setup-panel summary")).Should().Be("Setup", "a warning is not something that stops profiling");
    }

    [SkippableFact]
    public async Task The_setup_panel_says_something_is_to_fix_when_an_event_type_cannot_sample_the_target()
    {
        var blocked = new ScriptedSampler("blocked") { Availability = Availability.Unavailable("perf_event_paranoid is 3", "sysctl -w kernel.perf_event_paranoid=1") };
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), blocked, new FlamegraphRenderer()]);
        var page = await OpenAsync(host);

        await page.ClickAsync("#setup-panel summary");
        await page.WaitForFunctionAsync("() => document.querySelector('#setup-panel summary').textContent === 'Setup (something to fix)'");

        (await page.TextContentAsync("#setup")).Should().Contain("failevent type blocked: perf_event_paranoid is 3").And.Contain("fix: sysctl -w kernel.perf_event_paranoid=1");
    }

    [SkippableFact]
    public async Task An_API_error_is_shown_as_a_readable_message()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer()]);
        var page = await OpenAsync(host);
        var other = await browser.NewPageAsync(_errors);
        await other.GotoAsync(host.Address.ToString());
        await other.WaitForFunctionAsync("() => document.querySelectorAll('#event option').length > 0");
        await other.ClickAsync("#toggle");

        await page.ClickAsync("#toggle");

        await page.WaitForSelectorAsync("#message:not([hidden])");
        (await page.TextContentAsync("#message")).Should().Contain("'scripted' session has been running").And.Contain("stop it first");
        await page.WaitForFunctionAsync("() => document.querySelector('#toggle').textContent === 'Stop profiling'");
    }

    [SkippableFact]
    public async Task The_page_works_from_the_keyboard_alone_and_labels_its_controls()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer()]);
        var page = await OpenAsync(host);

        await page.FocusAsync("#event");
        await page.Keyboard.PressAsync("Tab");
        (await page.EvaluateAsync<string>("() => document.activeElement.id")).Should().Be("toggle");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForFunctionAsync("() => document.querySelector('#toggle').getAttribute('aria-pressed') === 'true'");
        var popup = await page.RunAndWaitForPopupAsync(() => page.Keyboard.PressAsync(" "));
        await popup.WaitForURLAsync("**/profiles/*.html");

        var unlabeled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('button, select, input')]
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
              .map(e => e.outerHTML)
            """);
        unlabeled.Should().BeEmpty("every control has a label, an aria-label or visible text");
    }

    [SkippableFact]
    public async Task Diff_then_with_this_opens_a_diffgraph_and_lists_it()
    {
        var sampler = new ScriptedSampler("scripted");
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer(), new DiffgraphRenderer()]);
        await host.ProfileAsync("scripted", TimeSpan.Zero);
        sampler.Folded = "Main;Work;Hot 30\nMain;Work;New 70\n";
        await host.ProfileAsync("scripted", TimeSpan.Zero);
        var page = await OpenAsync(host);
        await page.WaitForSelectorAsync("#profiles li button:text('Diff…')");

        await page.ClickAsync("#profiles li:has-text('#1') button:text('Diff…')");
        var diff = await page.RunAndWaitForPopupAsync(() => page.ClickAsync("#profiles li:has-text('#2') button:text('…with this')"));
        await diff.WaitForURLAsync("**/profiles/1-2-diffgraph-*.html");
        await diff.WaitForFunctionAsync("() => window.flamegraph !== undefined");

        (await diff.EvaluateAsync<double>("() => flamegraph.weightsOf('New')[0].before")).Should().Be(0);
        await page.WaitForSelectorAsync("#profiles li:has-text('diffgraph')");
    }

    [SkippableFact]
    public async Task When_the_target_exits_the_page_says_so_and_offers_the_running_processes_to_switch_to()
    {
        await using var first = await FixtureProcess.StartAsync("idle");
        await using var second = await FixtureProcess.StartAsync("idle");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: first.Pid);
        var page = await OpenAsync(host);
        await page.WaitForSelectorAsync($"#process option[value='{first.Pid}']", new() { State = WaitForSelectorState.Attached });

        first.Kill();

        await page.WaitForFunctionAsync("() => document.querySelector('#target').textContent.includes('has exited')");
        (await page.IsVisibleAsync("#picker")).Should().BeTrue();
        await page.WaitForFunctionAsync($"() => !document.querySelector(\"#process option[value='{first.Pid}']\")", null, new() { Timeout = 10_000 });
        await page.SelectOptionAsync("#process", second.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ClickAsync("#switch-target");
        await page.WaitForFunctionAsync($"() => document.querySelector('#target').textContent.includes('pid {second.Pid}')");
        (await page.TextContentAsync("#target")).Should().NotContain("has exited");
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task A_host_profiling_itself_as_with_demo_shows_no_target_picker()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);
        var page = await OpenAsync(host);

        (await page.TextContentAsync("#target")).Should().Contain("this process");
        (await page.IsVisibleAsync("#picker")).Should().BeFalse("the embedded host profiles itself: there is no process to pick");
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task A_transform_added_in_a_served_flamegraph_is_saved_as_the_default_for_later_renders()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer(), new HideTransformFactory()]);
        var stopped = await host.ProfileAsync("scripted", TimeSpan.Zero);
        var flamegraphName = stopped["files"]!.Single(f => f["kind"]!.Value<string>() == "flamegraph")["name"]!.Value<string>();
        var page = await browser.NewPageAsync(_errors);
        await page.GotoAsync(new Uri(host.Address, $"profiles/{flamegraphName}").ToString());
        await page.WaitForFunctionAsync("() => window.flamegraph !== undefined");
        var work = (await page.EvaluateJsonAsync<FlamegraphPageTests.JsonFrame[]>("flamegraph.drawn()")).Single(f => f.Name == "Work");

        await page.Mouse.ClickAsync(work.X + work.Width / 2, work.Y + 5, new MouseClickOptions { Button = MouseButton.Right });
        await page.ClickAsync("#menu button:text('Hide this frame')");
        await page.ClickAsync("#toggle-transforms");
        await page.ClickAsync("#save-default");

        await page.WaitForFunctionAsync("() => document.querySelector('#status').textContent.startsWith('Saved')");
        var transforms = (await host.GetJsonAsync("/api/options"))["transforms"]!;
        transforms.Should().ContainSingle().Which.ToString(Newtonsoft.Json.Formatting.None).Should().Be("""{"type":"hide","what":"^Work$"}""");
        const string hideSpec = "\"type\":\"hide\"";
        (await host.Client.GetStringAsync($"/profiles/{flamegraphName}")).Should().NotContain(hideSpec);
        var rendered = await host.PostOkAsync("/api/flamegraph", new { id = stopped["id"] });
        (await host.Client.GetStringAsync($"/profiles/{rendered["name"]}")).Should().Contain(hideSpec, "the next render applies the saved default");
        _errors.Should().BeEmpty();
    }

    [SkippableFact]
    public async Task Markup_in_plugin_messages_and_errors_is_shown_as_text()
    {
        const string markup = "<img src=x onerror=\"document.title='owned'\"><b>bold</b>";
        var sampler = new ScriptedSampler("scripted") { Availability = Availability.Unavailable(markup, markup) };
        await using var host = await TestHost.StartAsync([sampler, new ScriptedSampler("other"), new FlamegraphRenderer()]);
        var page = await OpenAsync(host);

        (await page.TextContentAsync("#event-hint")).Should().Contain(markup);
        (await page.Locator("#event-hint b, #event-hint img").CountAsync()).Should().Be(0);
        (await page.TitleAsync()).Should().NotBe("owned");
    }

    [SkippableFact]
    public async Task Markup_in_a_plugin_name_is_shown_as_text()
    {
        const string markup = "<img src=x onerror=\"document.title='owned'\"><b>bold</b>";
        using var plugins = new TempFolder("pluggable-plugins");
        // A folder without its assembly: the page lists it as failed, under the name its manifest gives.
        File.WriteAllText(Path.Combine(plugins.Sub("markup"), "plugin.json"), new JObject { ["name"] = markup }.ToString());
        await using var host = await TestHost.StartAsync(new ProfilerHostOptions { PluginFolders = [RepoPaths.BuiltPlugins, plugins.Path] });
        var page = await OpenAsync(host);

        await page.WaitForFunctionAsync("() => document.querySelector('#plugins li.failed') !== null");

        (await page.TextContentAsync("#plugins li.failed")).Should().StartWith($"{markup}: failed");
        (await page.Locator("#plugins b, #plugins img").CountAsync()).Should().Be(0);
        (await page.TitleAsync()).Should().NotBe("owned");
    }

    public sealed record OptionState(string Value, bool Disabled, string Title);
}
