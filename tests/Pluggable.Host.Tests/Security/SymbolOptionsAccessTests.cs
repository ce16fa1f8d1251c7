using System.Net;
using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Security;

/// <summary>
/// The <c>symbols</c> option names folders the host reads and writes and a server it calls: the operator sets it (the
/// options file, --symbols, --symbol-server), never a request, which anyone who reaches the page can send.
/// </summary>
public class SymbolOptionsAccessTests
{
    [Fact]
    public async Task A_start_that_names_symbol_folders_or_a_server_is_refused_saying_who_sets_them()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        var response = await host.PostJsonAsync("/api/profiler/start", new { @event = "alloc", options = new { symbols = new { server = "http://attacker.example/", cache = "/etc" } } });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("symbols").And.Contain("--symbol-server");
        (await host.GetJsonAsync("/api/profiler"))["state"]!.ToString().Should().Be("idle");
    }

    [Fact]
    public async Task Replacing_the_defaults_keeps_the_files_symbols_and_may_not_change_them()
    {
        using var folder = new TempFolder();
        var file = folder.File("options.json");
        File.WriteAllText(file, """{"symbols": {"server": "none"}}""");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], optionsFile: file);

        var kept = await host.Client.PutAsync("/api/options", new StringContent("""{"threads": true}""", System.Text.Encoding.UTF8, "application/json"));
        var changed = await host.Client.PutAsync("/api/options", new StringContent("""{"symbols": {"server": "http://attacker.example/"}}""", System.Text.Encoding.UTF8, "application/json"));

        kept.StatusCode.Should().Be(HttpStatusCode.OK, await kept.Content.ReadAsStringAsync());
        JObject.Parse(File.ReadAllText(file))["threads"]!.Value<bool>().Should().BeTrue();
        changed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JObject.Parse(File.ReadAllText(file))["symbols"]!["server"]!.ToString().Should().Be("none", "the refused defaults were not saved");
    }
}
