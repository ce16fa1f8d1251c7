using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Security;

/// <summary>kill -9 of a host that turned a target's perf map on: the next host to start turns it off.</summary>
[Collection(ProfilingCollection.Name)]
public class PerfMapWatchdogTests
{
    /// <summary>The pluggable executable profiling <paramref name="pid"/> on a free port; returns once it listens.</summary>
    private static async Task<(Process Host, HttpClient Client)> StartHostProcessAsync(int pid, string results)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "pluggable.dll"), "--pid", $"{pid}", "--port", "0", "--results", results })
        {
            start.ArgumentList.Add(argument);
        }
        var host = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>();
        host.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.IndexOf("Open http://", StringComparison.Ordinal) is >= 0 and var at)
            {
                listening.TrySetResult(new Uri(e.Data[(at + "Open ".Length)..].Split(' ')[0]));
            }
        };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return (host, new HttpClient { BaseAddress = address });
    }

    [SkippableFact]
    public async Task A_perf_map_left_on_by_a_killed_host_is_turned_off_when_the_next_host_starts()
    {
        using var results = new TempFolder("pluggable-results");
        await using var target = await FixtureProcess.StartAsync("idle");
        var (killed, client) = await StartHostProcessAsync(target.Pid, results.Path);
        using (client)
        {
            var types = JArray.Parse(await client.GetStringAsync("api/event-types"));
            Skip.IfNot(types.Any(t => t["name"]!.Value<string>() == "cpu" && t["available"]!.Value<bool>()), "cpu is not available on this machine");
            var start = await client.PostAsync("api/profiler/start", new StringContent("""{"event": "cpu"}""", System.Text.Encoding.UTF8, "application/json"));
            start.EnsureSuccessStatusCode();
        }
        var onWhileProfiling = target.WritesPerfMap;
        killed.Kill();
        await killed.WaitForExitAsync();
        killed.Dispose();
        var onAfterKill = target.WritesPerfMap;

        await using var next = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        onWhileProfiling.Should().BeTrue();
        onAfterKill.Should().BeTrue("no one turned it off: the host was killed");
        target.WritesPerfMap.Should().BeFalse("the next host found the map's session gone");
        File.Exists(target.PerfMapPath).Should().BeFalse("the target had no perf map before");
    }
}
