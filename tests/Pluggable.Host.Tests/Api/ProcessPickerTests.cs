using System.Net;
using Newtonsoft.Json.Linq;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

/// <summary>The sidecar's process picker: the .NET processes it can attach to, and switching to one while idle.</summary>
public class ProcessPickerTests
{
    [Fact]
    public async Task The_process_list_holds_a_fixture_process_with_its_command_line_and_runtime()
    {
        await using var fixture = await FixtureProcess.StartAsync("idle");
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer()]);

        var processes = (JArray)await host.GetJsonAsync("/api/processes");

        var listed = processes.Single(p => p["pid"]!.Value<int>() == fixture.Pid);
        listed["commandLine"]!.Value<string>().Should().Contain("Pluggable.Fixtures.Workload.dll idle");
        listed["runtimeVersion"]!.Value<string>().Should().StartWith("10.");
        processes.Single(p => p["pid"]!.Value<int>() == Environment.ProcessId)["isSelf"]!.Value<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task The_target_switches_while_idle_and_not_while_a_session_runs()
    {
        await using var fixture = await FixtureProcess.StartAsync("idle");
        var sampler = new ScriptedSampler("scripted");
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer()]);

        var switched = await host.PostOkAsync("/api/target", new { pid = fixture.Pid });
        await host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
        var refused = await host.PostJsonAsync("/api/target", new { pid = Environment.ProcessId });
        var stopped = await host.PostOkAsync("/api/profiler/stop", new { });
        var missing = await host.PostJsonAsync("/api/target", new { pid = 999_999 });

        switched["target"]!["pid"]!.Value<int>().Should().Be(fixture.Pid);
        sampler.LastRequest!.Target.Pid.Should().Be(fixture.Pid, "the session sampled the new target");
        refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await host.Client.GetStringAsync($"/profiles/{stopped["files"]![0]!["name"]}")).Should().Contain($"# target-pid: {fixture.Pid}");
    }
}
