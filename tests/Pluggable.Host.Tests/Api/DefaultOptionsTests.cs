using System.Net;
using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

/// <summary>Default options from a file, replaced over the API, kept across restarts; a bad replacement changes nothing.</summary>
public class DefaultOptionsTests
{
    [Fact]
    public async Task Put_saves_the_defaults_and_a_restarted_host_uses_them()
    {
        using var results = new TempFolder("pluggable-results");
        await using (var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], resultsFolder: results.Path))
        {
            var put = await host.Client.SendAsync(Requests.Json(HttpMethod.Put, "/api/options", """{"event": "alloc", "transforms": [{"type": "fold-async"}]}"""));
            put.StatusCode.Should().Be(HttpStatusCode.OK, await put.Content.ReadAsStringAsync());
        }

        await using var restarted = await TestHost.StartAsync([RepoPaths.BuiltPlugins], resultsFolder: results.Path);
        var options = await restarted.GetJsonAsync("/api/options");

        options["event"]!.Value<string>().Should().Be("alloc");
        options["transforms"]![0]!["type"]!.Value<string>().Should().Be("fold-async");
    }

    [Fact]
    public async Task Put_rewrites_the_options_file_and_keeps_the_old_one_as_bak()
    {
        using var folder = new TempFolder();
        var file = folder.File("pluggable.json");
        File.WriteAllText(file, """{"interval": "20ms"}""");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], optionsFile: file);

        var put = await host.Client.SendAsync(Requests.Json(HttpMethod.Put, "/api/options", """{"interval": "5ms"}"""));

        put.StatusCode.Should().Be(HttpStatusCode.OK);
        JObject.Parse(File.ReadAllText(file))["interval"]!.Value<string>().Should().Be("5ms");
        JObject.Parse(File.ReadAllText(file + ".bak"))["interval"]!.Value<string>().Should().Be("20ms");
        (await host.GetJsonAsync("/api/options"))["interval"]!.Value<string>().Should().Be("5ms");
    }

    [Fact]
    public async Task Overrides_like_the_command_lines_symbols_win_over_the_file_and_outlast_a_put()
    {
        using var folder = new TempFolder();
        var file = folder.File("pluggable.json");
        File.WriteAllText(file, """{"symbols": {"paths": ["/srv/from-file"], "server": "http://127.0.0.1:9/"}}""");
        var options = new ProfilerHostOptions { OptionsFile = file, PluginFolders = [RepoPaths.BuiltPlugins], OptionsOverrides = JObject.Parse("""{"symbols": {"server": "none"}}""") };
        await using var host = await TestHost.StartAsync(options);

        var symbols = (await host.GetJsonAsync("/api/options"))["symbols"]!;
        var put = await host.Client.SendAsync(Requests.Json(HttpMethod.Put, "/api/options", """{"interval": "5ms"}"""));

        symbols["server"]!.Value<string>().Should().Be("none", "the override wins over the file");
        symbols["paths"]!.Values<string>().Should().Equal(["/srv/from-file"], "what the override leaves out comes from the file");
        put.StatusCode.Should().Be(HttpStatusCode.OK);
        host.Engine.DefaultOptions.Symbols.Server.Should().BeNull("replacing the defaults file keeps the overrides");
        JObject.Parse(File.ReadAllText(file))["symbols"]!["server"]!.Value<string>().Should().Be("http://127.0.0.1:9/", "the file keeps its own symbols, and the overrides are not written into it");
    }

    [Theory]
    [InlineData("""{"event": "cycles"}""", "event: unknown event type 'cycles'*")]
    [InlineData("""{"transforms": [{"type": "replace", "what": "(", "replacement": ""}]}""", "transforms[0] (replace): \"what\" is not a valid regular expression*")]
    [InlineData("{\n  \"interval\": \n}", "request body line 3, position *")]
    [InlineData("""{"maxDuration": 1e308}""", "maxDuration: at most 720h, found 1E+308")]
    public async Task A_bad_put_is_400_and_changes_neither_the_file_nor_the_defaults(string body, string message)
    {
        using var folder = new TempFolder();
        var file = folder.File("pluggable.json");
        File.WriteAllText(file, """{"interval": "20ms"}""");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], optionsFile: file);

        var put = await host.Client.SendAsync(Requests.Json(HttpMethod.Put, "/api/options", body));

        put.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JObject.Parse(await put.Content.ReadAsStringAsync())["error"]!.Value<string>().Should().Match(message);
        File.ReadAllText(file).Should().Be("""{"interval": "20ms"}""");
        File.Exists(file + ".bak").Should().BeFalse();
        (await host.GetJsonAsync("/api/options"))["interval"]!.Value<string>().Should().Be("20ms");
    }

    [Fact]
    public async Task Default_transforms_shape_every_rendered_page_but_never_the_raw_file()
    {
        using var folder = new TempFolder();
        var file = folder.File("pluggable.json");
        File.WriteAllText(file, """{"transforms": [{"type": "hide", "what": "ThrowInKnownMethod"}]}""");
        await using var target = await FixtureProcess.StartAsync("exceptions");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid, optionsFile: file);

        var stopped = await host.ProfileAsync("exceptions", TimeSpan.FromSeconds(2));
        var raw = await host.Client.GetStringAsync($"/profiles/{stopped["files"]![0]!["name"]}");
        var page = await host.Client.GetStringAsync($"/profiles/{stopped["files"]![1]!["name"]}");

        var data = EmbeddedPageData.Read(page);
        data["transforms"]![0]!["type"]!.Value<string>().Should().Be("hide");
        EmbeddedPageData.Stacks(data["view"]!).Keys.Should().NotBeEmpty().And.NotContain(stack => stack.Contains("ThrowInKnownMethod"), "the page draws the profile after the default transforms");
        raw.Should().Contain("ThrowInKnownMethod");
    }
}
