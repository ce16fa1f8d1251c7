using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.EventPipe;

/// <summary>lock, wall and exceptions on fixture processes whose shape is known.</summary>
[Collection(ProfilingCollection.Name)]
public class RuntimeEventTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Lock_puts_the_contending_method_first_and_counts_the_wait_in_nanoseconds()
    {
        await using var target = await FixtureProcess.StartAsync("lock", threads: 2);
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var before = await target.FreshCounterAsync("waited");
        var stopped = await host.ProfileAsync("lock", Duration);
        var waited = await target.FreshCounterAsync("waited") - before;

        var profile = await host.ReadProfileAsync(stopped);
        profile.Metadata.Unit.Should().Be(KnownUnits.Nanoseconds);
        var contending = profile.WeightThrough("LockWorkload.ContendOnSharedLock");
        ((double)contending / profile.TotalWeight).Should().BeGreaterThan(0.8, $"the workload's threads wait only there; top stacks:\n{profile.Top()}");
        ((double)contending).Should().BeInRange(waited / 2.0, waited * 2.0, "the workload measured its own waits in the same window");
        profile.Stacks.Select(s => profile.Frames[s.Frames[^1]].Name).Should().NotContain(n => n.StartsWith("System.Diagnostics.Tracing.", StringComparison.Ordinal),
            "the event source that reports the wait is not where the thread waited");
    }

    [Fact]
    public async Task Wall_shows_a_sleeping_thread_in_its_sleeping_method_for_its_share_of_the_time()
    {
        await using var target = await FixtureProcess.StartAsync("wall");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("wall", Duration);

        var profile = await host.ReadProfileAsync(stopped);
        var sleeping = profile.WeightThrough("WallWorkload.SleepInKnownMethod");
        var computing = profile.WeightThrough("WallWorkload.ComputeBriefly");
        // The workload sleeps 20 ms, then computes 5 ms: about 80% of its thread's time is asleep.
        ((double)sleeping / (sleeping + computing)).Should().BeInRange(0.6, 0.95, $"top stacks:\n{profile.Top()}");
        // One sample per thread per millisecond: the workload's thread alone gives about a thousand a second.
        (sleeping + computing).Should().BeGreaterThan((long)(Duration.TotalMilliseconds * 0.5));
    }

    [Fact]
    public async Task Exceptions_show_the_thrown_type_under_its_throwing_method()
    {
        await using var target = await FixtureProcess.StartAsync("exceptions");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var before = await target.FreshCounterAsync("exceptions");
        var stopped = await host.ProfileAsync("exceptions", Duration);
        var thrown = await target.FreshCounterAsync("exceptions") - before;

        var profile = await host.ReadProfileAsync(stopped);
        var stacks = profile.Stacks.Where(s => profile.FrameNames(s).Any(n => n.Contains("ExceptionWorkload.ThrowInKnownMethod", StringComparison.Ordinal))).ToArray();
        stacks.Should().NotBeEmpty($"top stacks:\n{profile.Top()}");
        stacks.Select(s => profile.Frames[s.Frames[^1]]).Should().AllBeEquivalentTo(new Frame("System.InvalidOperationException", FrameKind.Synthetic));
        stacks.Select(s => profile.Frames[s.Frames[^2]].Name).Should().AllSatisfy(n => n.Should().EndWith("ExceptionWorkload.ThrowInKnownMethod"));
        ((double)stacks.Sum(s => s.Weight)).Should().BeInRange(thrown / 2.0, thrown * 2.0);
    }

    [Fact]
    public async Task Exceptions_of_a_target_that_throws_nothing_come_back_empty_saying_why_and_what_to_do()
    {
        await using var target = await FixtureProcess.StartAsync("idle");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("exceptions", TimeSpan.FromSeconds(1));

        stopped["samples"]!.Value<long>().Should().Be(0);
        stopped["lowConfidence"]!.Value<string>().Should().Be("no samples: no exception was thrown while sampling; profile while the code path that throws runs");
        stopped["warnings"]!.Values<string>().Should().Contain(w => w!.StartsWith("low confidence: no samples: no exception was thrown", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_threads_option_puts_each_stack_under_its_thread()
    {
        await using var target = await FixtureProcess.StartAsync("exceptions");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("exceptions", TimeSpan.FromSeconds(2), new { threads = true });

        var profile = await host.ReadProfileAsync(stopped);
        var throwing = profile.Stacks.Where(s => profile.FrameNames(s).Any(n => n.Contains("ThrowInKnownMethod", StringComparison.Ordinal))).ToArray();
        throwing.Should().NotBeEmpty();
        throwing.Select(s => profile.Frames[s.Frames[0]].Name).Should().AllSatisfy(n => n.Should().MatchRegex(@"^\[thread \d+ workload-0\]$"));
    }

}
