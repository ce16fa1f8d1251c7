using System.Diagnostics;
using Pluggable.Core.Profiles;
using Pluggable.Fixtures;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.Itimer;

/// <summary>itimer on a workload that spends about 70% of its CPU in one method and 30% in another, on a tight loop.</summary>
[Collection(ProfilingCollection.Name)]
public class ItimerProfileTests
{
    private const string Hot = "CpuWorkload.HotMethod";

    [Fact]
    public async Task Itimer_with_one_busy_thread_reports_70_30_within_5_points()
    {
        await using var target = await FixtureProcess.StartAsync("cpu");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("itimer", TimeSpan.FromSeconds(5));

        Perf.CpuProfileTests.AssertSplit(await host.ReadProfileAsync(stopped), minimumWeight: 0);
    }

    [Fact]
    public async Task Itimer_with_two_busy_threads_reports_70_30_and_weighs_no_more_cpu_than_the_target_used()
    {
        await using var target = await FixtureProcess.StartAsync("cpu", threads: 2);
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var (stopped, window, session) = await Perf.CpuProfileTests.ProfileMeasuringCpuAsync(host, target, "itimer", TimeSpan.FromSeconds(8));

        var profile = await host.ReadProfileAsync(stopped);
        Perf.CpuProfileTests.AssertSplit(profile, minimumWeight: 0);
        profile.Stacks.Where(s => profile.FrameNames(s).Any(n => n.Contains("CpuWorkload", StringComparison.Ordinal))).Should().NotBeEmpty();
        // A sample weighs a tick for a thread found running; on the tracer's own CPU at most one such thread ran, so
        // the weights estimate the CPU used, and some of it (where the tracer could not tell who ran) goes unsampled.
        var sampled = TimeSpan.FromTicks(profile.TotalWeight / 100);
        sampled.Should().BeLessThan(session * 1.15, $"the target used {session.TotalSeconds:0.00} s of CPU from start to stop");
        sampled.Should().BeGreaterThan(window * 0.4, $"the target used {window.TotalSeconds:0.00} s of CPU in the window");
        profile.Metadata.Unit.Should().Be(KnownUnits.Nanoseconds);
    }

    [Fact]
    public async Task Itimer_of_the_hosts_own_process_reports_70_30_within_5_points()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);
        using var workload = Workloads.Start("cpu");

        var stopped = await host.ProfileAsync("itimer", TimeSpan.FromSeconds(5));

        Perf.CpuProfileTests.AssertSplit(await host.ReadProfileAsync(stopped), minimumWeight: 0);
    }

    [Fact]
    public async Task Killing_the_sampler_mid_profile_leaves_the_target_running_and_keeps_what_was_sampled()
    {
        await using var target = await FixtureProcess.StartAsync("cpu");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);
        await host.PostOkAsync("/api/profiler/start", new { @event = "itimer" });
        await Task.Delay(TimeSpan.FromSeconds(2));

        var agent = SamplerProcessOf(target.Pid);
        agent.Kill();
        await agent.WaitForExitAsync();
        await Task.Delay(300);

        ThreadStates(target.Pid).Should().NotContain('t', "no thread may be left in tracing stop");
        File.ReadAllLines($"/proc/{target.Pid}/status").Should().Contain("TracerPid:\t0");
        var before = await target.FreshCounterAsync("iterations");
        await Task.Delay(500);
        (await target.FreshCounterAsync("iterations")).Should().BeGreaterThan(before, "the target keeps working");

        var stopped = await host.PostOkAsync("/api/profiler/stop", new { });
        stopped["partial"]!.ToObject<bool>().Should().BeTrue();
        var profile = await host.ReadProfileAsync(stopped);
        profile.WeightThrough(Hot).Should().BeGreaterThan(0, "the samples taken before the kill are kept");
    }

    [Fact]
    public async Task A_jitted_method_without_a_frame_pointer_keeps_its_caller()
    {
        await using var target = await FixtureProcess.StartAsync("frameless");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("itimer", TimeSpan.FromSeconds(3));

        Perf.CpuProfileTests.AssertFramelessKeepsItsCaller(await host.ReadProfileAsync(stopped));
    }

    private static Process SamplerProcessOf(int targetPid)
    {
        foreach (var process in Process.GetProcesses())
        {
            try
            {
                var commandLine = File.ReadAllText($"/proc/{process.Id}/cmdline").Replace('\0', ' ');
                if (commandLine.Contains("itimer-agent.dll", StringComparison.Ordinal) && commandLine.Contains($"--pid {targetPid} ", StringComparison.Ordinal))
                {
                    return process;
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }
        throw new InvalidOperationException($"no itimer sampler process for pid {targetPid}");
    }

    private static IEnumerable<char> ThreadStates(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task").Select(task =>
        {
            var stat = File.ReadAllText(Path.Combine(task, "stat"));
            return stat[stat.LastIndexOf(") ", StringComparison.Ordinal) + 2];
        });


}
