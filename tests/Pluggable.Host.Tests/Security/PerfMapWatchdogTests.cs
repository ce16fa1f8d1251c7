using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Security;

/// <summary>kill -9 of a host that turned a target's perf map on: the next host to start turns it off.</summary>
[Collection(ProfilingCollection.Name)]
public class PerfMapWatchdogTests
{
    [SkippableFact]
    public async Task A_perf_map_left_on_by_a_killed_host_is_turned_off_when_the_next_host_starts()
    {
        using var results = new TempFolder("pluggable-results");
        await using var target = await FixtureProcess.StartAsync("idle");
        await using var killed = await HostProcess.StartAsync(["--pid", $"{target.Pid}", "--results", results.Path]);
        var types = JArray.Parse(await killed.Client.GetStringAsync("api/event-types"));
        Skip.IfNot(types.Any(t => t["name"]!.Value<string>() == "cpu" && t["available"]!.Value<bool>()), "cpu is not available on this machine");
        await killed.Client.PostOkAsync("/api/profiler/start", new { @event = "cpu" });
        var onWhileProfiling = target.WritesPerfMap;
        killed.Process.Kill();
        await killed.Process.WaitForExitAsync();
        var onAfterKill = target.WritesPerfMap;

        await using var next = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        onWhileProfiling.Should().BeTrue();
        onAfterKill.Should().BeTrue("no one turned it off: the host was killed");
        target.WritesPerfMap.Should().BeFalse("the next host found the map's session gone");
        File.Exists(target.PerfMapPath).Should().BeFalse("the target had no perf map before");
    }
}
