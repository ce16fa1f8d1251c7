using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

/// <summary>A cpu session turns the target's perf map on to name jitted frames; a normal stop turns it off again.</summary>
[Collection(ProfilingCollection.Name)]
public class PerfMapAfterStopTests
{
    [SkippableFact]
    public async Task A_cpu_session_turns_the_targets_perf_map_on_and_its_stop_turns_it_off_and_removes_the_map_it_made()
    {
        await using var target = await FixtureProcess.StartAsync("idle");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);
        var types = (JArray)await host.GetJsonAsync("/api/event-types");
        Skip.IfNot(types.Any(t => t["name"]!.Value<string>() == "cpu" && t["available"]!.Value<bool>()), "cpu is not available on this machine");
        var hadMapBefore = File.Exists(target.PerfMapPath);

        await host.PostOkAsync("/api/profiler/start", new { @event = "cpu" });
        var onWhileProfiling = target.WritesPerfMap;
        await host.PostOkAsync("/api/profiler/stop", new { });

        hadMapBefore.Should().BeFalse("the fixture starts without a perf map");
        onWhileProfiling.Should().BeTrue();
        target.WritesPerfMap.Should().BeFalse("the stop ended the last session that used it");
        File.Exists(target.PerfMapPath).Should().BeFalse("the target had no perf map before");
    }
}
