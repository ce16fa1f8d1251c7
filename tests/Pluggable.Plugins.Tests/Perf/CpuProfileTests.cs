using Pluggable.Core.Profiles;
using Pluggable.Fixtures;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.Perf;

/// <summary>cpu on a workload that spends about 70% of its CPU in one method and 30% in another.</summary>
[Collection(ProfilingCollection.Name)]
public class CpuProfileTests
{
    private const string Hot = "CpuWorkload.HotMethod";
    private const string Cold = "CpuWorkload.ColdMethod";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Cpu_of_another_process_reports_70_30_within_5_points_with_a_sample_per_10_ms_of_its_cpu(int threads)
    {
        await using var target = await FixtureProcess.StartAsync("cpu", threads);
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var (stopped, window, session) = await ProfileMeasuringCpuAsync(host, target, "cpu", Duration);

        var profile = await host.ReadProfileAsync(stopped);
        AssertSplit(profile);
        // cpu-clock samples 100 times a second of CPU whatever runs: however busy the machine, the target's samples
        // follow the CPU it really used, all of the window's and at most the whole session's.
        profile.SampleCount.Should().BeInRange((long)(window.TotalSeconds * 100 * 0.85), (long)(session.TotalSeconds * 100 * 1.15) + 5,
            $"the target used {window.TotalSeconds:0.00} s of CPU in the window, {session.TotalSeconds:0.00} s from start to stop");
    }

    /// <summary>
    /// Profiles for <paramref name="duration"/> and measures the CPU the target used: in the window between the start's
    /// answer and the stop's request (all of it sampled), and from before the start to after the stop (a bound).
    /// </summary>
    internal static async Task<(Newtonsoft.Json.Linq.JToken Stopped, TimeSpan Window, TimeSpan Session)> ProfileMeasuringCpuAsync(TestHost host, FixtureProcess target, string eventType, TimeSpan duration)
    {
        var beforeStart = target.CpuTime;
        await host.PostOkAsync("/api/profiler/start", new { @event = eventType });
        var afterStart = target.CpuTime;
        await Task.Delay(duration);
        var beforeStop = target.CpuTime;
        var stopped = await host.PostOkAsync("/api/profiler/stop", new { });
        return (stopped, beforeStop - afterStart, target.CpuTime - beforeStart);
    }

    [Fact]
    public async Task Cpu_of_the_hosts_own_process_reports_70_30_within_5_points()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);
        using var workload = Workloads.Start("cpu");

        var stopped = await host.ProfileAsync("cpu", Duration);

        AssertSplit(await host.ReadProfileAsync(stopped));
    }

    [Fact]
    public async Task Most_samples_carry_native_frames_below_the_managed_ones()
    {
        await using var target = await FixtureProcess.StartAsync("cpu");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("cpu", TimeSpan.FromSeconds(3));

        var profile = await host.ReadProfileAsync(stopped);
        var withNativeRoots = profile.Stacks
            .Where(s => s.Frames.Any(f => profile.Frames[f].Kind == FrameKind.Managed))
            .Where(s => profile.Frames[s.Frames[0]].Kind is FrameKind.Native or FrameKind.Runtime or FrameKind.Kernel)
            .Sum(s => s.Weight);
        ((double)withNativeRoots / profile.TotalWeight).Should().BeGreaterThan(0.8, $"threads start in libc and libcoreclr; top stacks:\n{profile.Top()}");
        profile.Frames.Should().Contain(f => f.Kind == FrameKind.Runtime && f.Name.StartsWith("libcoreclr.so", StringComparison.Ordinal));
        profile.Metadata.Properties["clock"].Should().StartWith(MachinePerf.HasCyclesCounter ? "cycles" : "cpu-clock", "the clock is the machine's best");
        profile.Metadata.Properties["mode"].Should().StartWith(MachinePerf.AllowsPerCpuEvents ? "per-cpu" : "per-thread", "per-CPU events are the cheaper where allowed");
    }

    [Fact]
    public async Task Per_thread_mode_gives_the_same_split()
    {
        await using var target = await FixtureProcess.StartAsync("cpu");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("cpu", Duration, new { events = new { cpu = new { mode = "thread" } } });

        var profile = await host.ReadProfileAsync(stopped);
        profile.Metadata.Properties["mode"].Should().Be("per-thread");
        AssertSplit(profile);
    }

    [Fact]
    public async Task A_jitted_method_without_a_frame_pointer_keeps_its_caller()
    {
        await using var target = await FixtureProcess.StartAsync("frameless");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("cpu", TimeSpan.FromSeconds(3));

        AssertFramelessKeepsItsCaller(await host.ReadProfileAsync(stopped));
    }

    /// <summary>Of the samples in FramelessWorkload.Leaf, nearly all show Caller;Wrapper;Leaf: Wrapper keeps no frame pointer, yet Caller is kept.</summary>
    internal static void AssertFramelessKeepsItsCaller(StackProfile profile)
    {
        var inLeaf = profile.Stacks.Where(s => profile.Frames[s.Frames[^1]].Name.EndsWith("FramelessWorkload.Leaf", StringComparison.Ordinal)).ToArray();
        var withCaller = inLeaf.Where(s => s.Frames.Length > 2
            && profile.Frames[s.Frames[^2]].Name.EndsWith("FramelessWorkload.Wrapper", StringComparison.Ordinal)
            && profile.Frames[s.Frames[^3]].Name.EndsWith("FramelessWorkload.Caller", StringComparison.Ordinal)).Sum(s => s.Weight);
        inLeaf.Sum(s => s.Weight).Should().BeGreaterThan(0, $"top stacks:\n{profile.Top()}");
        ((double)withCaller / inLeaf.Sum(s => s.Weight)).Should().BeGreaterThan(0.9, $"top stacks:\n{profile.Top()}");
    }

    /// <summary>The cpu fixture's 70/30 split between its hot and cold method, over more than <paramref name="minimumWeight"/> of weight in them.</summary>
    internal static void AssertSplit(StackProfile profile, long minimumWeight = 100)
    {
        var hot = profile.WeightThrough(Hot);
        var cold = profile.WeightThrough(Cold);
        (hot + cold).Should().BeGreaterThan(minimumWeight, $"top stacks:\n{profile.Top()}");
        (100.0 * hot / (hot + cold)).Should().BeApproximately(70, 5, $"the workload spends 70% of its CPU in {Hot}; top stacks:\n{profile.Top()}");
    }

}
