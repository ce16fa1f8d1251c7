using System.Diagnostics;
using System.Globalization;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Security;

/// <summary>
/// Many real start/stop cycles against a fixture: the host's threads, file handles and memory must not grow with them.
/// CI runs a short soak; PLUGGABLE_SOAK_CYCLES=500 PLUGGABLE_SOAK_SECONDS=1 runs the long one (about ten minutes).
/// </summary>
[Collection(ProfilingCollection.Name)]
public class SoakTests
{
    private static int Cycles => int.TryParse(Environment.GetEnvironmentVariable("PLUGGABLE_SOAK_CYCLES"), out var n) ? n : 40;

    private static TimeSpan CycleLength => TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("PLUGGABLE_SOAK_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 0.1);

    [Fact]
    public async Task Repeated_sessions_do_not_grow_the_hosts_threads_handles_or_memory()
    {
        await using var target = await FixtureProcess.StartAsync("exceptions");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);
        var warmUp = Math.Min(10, Cycles / 4);
        (int Threads, int Handles, long Heap) baseline = default;

        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            if (cycle == warmUp)
            {
                baseline = Footprint();
            }
            var stopped = await host.ProfileAsync("exceptions", CycleLength);
            stopped["files"]!.Should().HaveCount(2);
        }
        var after = Footprint();

        (after.Threads - baseline.Threads).Should().BeLessThan(10, "sessions end their threads");
        (after.Handles - baseline.Handles).Should().BeLessThan(20, "sessions close their sockets and files");
        (after.Heap - baseline.Heap).Should().BeLessThan(32 << 20, "sessions leave nothing behind in memory");
        var raws = host.Engine.Store.List().Where(f => f.Kind == "raw").ToArray();
        raws.Should().HaveCount(Cycles);
        foreach (var raw in raws)
        {
            (await host.Engine.Store.ReadProfileAsync(raw.Id))!.Errors.Should().BeEmpty();
        }
    }

    private static (int Threads, int Handles, long Heap) Footprint()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return (self.Threads.Count, Directory.GetFiles("/proc/self/fd").Length, GC.GetTotalMemory(forceFullCollection: true));
    }
}
