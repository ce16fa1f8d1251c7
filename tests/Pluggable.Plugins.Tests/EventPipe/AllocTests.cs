using System.Reflection;
using System.Reflection.Emit;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;
using Pluggable.Fixtures;
using Pluggable.Plugins.EventPipe.Events;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.EventPipe;

/// <summary>
/// alloc on a workload that allocates about 90% of its bytes as 8 KB arrays in one method and 10% as small arrays in
/// another: the profile must show that split, and its total must be near the bytes the workload counted.
/// </summary>
[Collection(ProfilingCollection.Name)]
public class AllocTests
{
    private const string Large = "AllocWorkload.AllocateLargeBuffers";
    private const string Small = "AllocWorkload.AllocateSmallBuffers";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Alloc_of_the_hosts_own_process_puts_the_8KB_allocator_at_85_percent_and_counts_the_bytes()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);
        using var workload = Workloads.Start("alloc");
        await Task.Delay(500);

        var before = Bytes(workload.Counters);
        var stopped = await host.ProfileAsync("alloc", Duration);
        var counted = Bytes(workload.Counters) - before;

        var profile = await host.ReadProfileAsync(stopped);
        AssertShape(profile, counted);
        profile.Metadata.Properties["source"].Should().Be("AllocationSampled", "the test process runs .NET 10");
    }

    [Fact]
    public async Task Alloc_of_another_process_by_pid_shows_the_same_shape()
    {
        await using var target = await FixtureProcess.StartAsync("alloc");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var before = await target.FreshCounterAsync("large") + target.Counter("small");
        var stopped = await host.ProfileAsync("alloc", Duration);
        var counted = await target.FreshCounterAsync("large") + target.Counter("small") - before;

        var profile = await host.ReadProfileAsync(stopped);
        AssertShape(profile, counted);
        profile.Metadata.TargetPid.Should().Be(target.Pid);
    }

    [Fact]
    public async Task Alloc_puts_the_allocated_type_as_the_leaf_frame()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);
        using var workload = Workloads.Start("alloc");

        var stopped = await host.ProfileAsync("alloc", TimeSpan.FromSeconds(2));

        var profile = await host.ReadProfileAsync(stopped);
        var byteArrays = profile.Stacks.Where(s => profile.FrameNames(s).Any(n => n.Contains(Large, StringComparison.Ordinal))).ToArray();
        byteArrays.Should().NotBeEmpty();
        byteArrays.Select(s => profile.Frames[s.Frames.Last()]).Should().AllBeEquivalentTo(new Frame("System.Byte[]", FrameKind.Synthetic));
    }

    [Fact]
    public async Task Alloc_keeps_the_parentheses_of_a_frame_name_and_drops_only_the_parameter_list()
    {
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("Emitted"), AssemblyBuilderAccess.Run);
        var type = assembly.DefineDynamicModule("Emitted").DefineType("Shop.Emitted", TypeAttributes.Public | TypeAttributes.Class);
        const string name = "Build(<b>x</b>)";
        var il = type.DefineMethod(name, MethodAttributes.Public | MethodAttributes.Static, typeof(object), [typeof(int)]).GetILGenerator();
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Newarr, typeof(byte));
        il.Emit(OpCodes.Ret);
        var build = type.CreateType().GetMethod(name)!.CreateDelegate<Func<int, object>>();
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        await host.PostOkAsync("/api/profiler/start", new { @event = "alloc" });
        for (var until = DateTime.UtcNow.AddSeconds(2); DateTime.UtcNow < until;)
        {
            GC.KeepAlive(build(8192));
        }
        var profile = await host.ReadProfileAsync(await host.PostOkAsync("/api/profiler/stop", new { }));

        var names = profile.Stacks.SelectMany(profile.FrameNames).Distinct().ToArray();
        names.Should().Contain("Shop.Emitted.Build(<b>x</b>)", $"the emitted method allocated; top stacks:\n{profile.Top()}");
        names.Should().NotContain(n => n.StartsWith("Shop.Emitted.Build", StringComparison.Ordinal) && n != "Shop.Emitted.Build(<b>x</b>)");
    }

    [Theory]
    [InlineData("Shop.Orders.Place(int32,class System.String)", "Shop.Orders.Place")]
    [InlineData("Shop.Orders.Place()", "Shop.Orders.Place")]
    [InlineData("Shop.Emitted.Build(<b>x</b>)(int32)", "Shop.Emitted.Build(<b>x</b>)")]
    [InlineData("Shop.Native.Call(method void *(int32),int32)", "Shop.Native.Call")]
    [InlineData("Shop.Orders.Place", "Shop.Orders.Place")]
    public void A_frame_name_loses_only_the_parameter_list_at_its_end(string fullMethodName, string frameName) =>
        MethodNames.WithoutParameters(fullMethodName).Should().Be(frameName);

    [Theory]
    [InlineData(1)]
    [InlineData(24)]
    [InlineData(88)]
    [InlineData(8216)]
    [InlineData(85_000)]
    [InlineData(100_000_000)]
    public void UnbiasedBytes_is_the_size_over_the_chance_of_sampling_it(long size)
    {
        var chance = 1 - Math.Pow(1 - 1 / 102_400.0, size);

        AllocEventType.UnbiasedBytes(size).Should().BeApproximately(size / chance, size / chance * 1e-9);
    }

    [Fact]
    public async Task Alloc_through_the_GCAllocationTick_fallback_gives_the_same_shape()
    {
        await using var target = await FixtureProcess.StartAsync("alloc");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var before = await target.FreshCounterAsync("large") + target.Counter("small");
        var stopped = await host.ProfileAsync("alloc", Duration, new { events = new { alloc = new { source = "tick" } } });
        var counted = await target.FreshCounterAsync("large") + target.Counter("small") - before;

        var profile = await host.ReadProfileAsync(stopped);
        profile.Metadata.Properties["source"].Should().Be("GCAllocationTick");
        AssertShape(profile, counted);
    }

    [Fact]
    public async Task Alloc_of_a_target_killed_mid_profile_still_stops_with_a_partial_profile()
    {
        var target = await FixtureProcess.StartAsync("alloc");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        await host.PostOkAsync("/api/profiler/start", new { @event = "alloc" });
        await Task.Delay(TimeSpan.FromSeconds(2));
        target.Kill();
        await target.DisposeAsync();
        var stopped = await host.PostOkAsync("/api/profiler/stop", new { });

        stopped["partial"]!.Value<bool>().Should().BeTrue();
        var profile = await host.ReadProfileAsync(stopped);
        profile.WeightThrough(Large).Should().BeGreaterThan(0, $"what was collected before the kill is kept, with names; top stacks:\n{profile.Top()}");
        (await host.GetJsonAsync("/api/profiler"))["state"]!.Value<string>().Should().Be("idle");
    }

    private static long Bytes(Counters counters) => Interlocked.Read(ref counters.LargeBytes) + Interlocked.Read(ref counters.SmallBytes);


    private static void AssertShape(StackProfile profile, long counted)
    {
        var large = profile.WeightThrough(Large);
        var small = profile.WeightThrough(Small);
        profile.Metadata.Unit.Should().Be(KnownUnits.Bytes);
        (large + small).Should().BeGreaterThan(0, $"the workload's methods should appear; top stacks:\n{profile.Top()}");
        ((double)large / (large + small)).Should().BeGreaterThanOrEqualTo(0.85, $"about 90% of the bytes are 8 KB arrays; top stacks:\n{profile.Top()}");
        ((double)(large + small)).Should().BeInRange(counted / 2.0, counted * 2.0, $"the workload counted {counted} bytes in about the same window");
    }
}
