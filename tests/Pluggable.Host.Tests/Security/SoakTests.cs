using System.Globalization;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;
using Pluggable.Core.Store;
using Pluggable.Testing;
using Xunit.Abstractions;

namespace Pluggable.Host.Tests.Security;

/// <summary>
/// Many real start/stop cycles against a fixture: the standalone host's threads, file handles and memory must not grow
/// with them. It runs in a process of its own, so nothing else moves its figures, and it gives its garbage back after
/// each stop, so what it holds then is what the sessions left. Tiering is off in it: tiering compiles a method again
/// after its 30th call, which grows the host in steps (by the session's 30th cycle) that no session left. CI runs a short soak; PLUGGABLE_SOAK_CYCLES=500
/// PLUGGABLE_SOAK_SECONDS=1 runs the long one (about ten minutes).
/// </summary>
[Collection(ProfilingCollection.Name)]
public class SoakTests(ITestOutputHelper output)
{
    /// <summary>
    /// Growth a cycle may show once warm and still be noise (the runtime's and malloc's own heaps settle slowly: 17–42 KB
    /// a cycle were seen here): a session that left a 128 KB buffer behind fails.
    /// </summary>
    private const double MaxGrowthPerCycle = 128 * 1024;

    /// <summary>The cycles before the host is measured: until about the 20th, its heaps still grow in steps as they fill.</summary>
    private const int WarmUp = 20;

    private static int Cycles => int.TryParse(Environment.GetEnvironmentVariable("PLUGGABLE_SOAK_CYCLES"), out var n) ? Math.Max(n, WarmUp + 10) : 50;

    private static TimeSpan CycleLength => TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("PLUGGABLE_SOAK_SECONDS"), CultureInfo.InvariantCulture, out var s) ? s : 0.1);

    [Fact]
    public async Task Repeated_sessions_do_not_grow_the_hosts_threads_handles_or_memory()
    {
        using var results = new TempFolder("pluggable-results");
        await using var target = await FixtureProcess.StartAsync("exceptions");
        await using var host = await HostProcess.StartAsync(["--pid", $"{target.Pid}", "--results", results.Path],
            environment: new Dictionary<string, string> { ["DOTNET_TieredCompilation"] = "0" });
        var footprints = new List<(int Threads, int Handles, long Memory)>();

        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            var stopped = await host.Client.ProfileAsync("exceptions", CycleLength);
            stopped["files"]!.Should().HaveCount(2);
            if (cycle >= WarmUp)
            {
                footprints.Add(Footprint(host.Process.Id));
            }
        }

        output.WriteLine($"threads, handles and KB after each cycle from the {WarmUp}th: {string.Join("; ", footprints.Select(f => $"{f.Threads} {f.Handles} {f.Memory >> 10}"))}");
        // A thread or a descriptor left by every session grows by one a cycle; the thread pool's own growth on a busy
        // machine, a few threads at some point, grows by a fraction.
        GrowthPerCycle(footprints.Select(f => (double)f.Threads).ToArray()).Should().BeLessThan(0.5, "sessions end their threads");
        GrowthPerCycle(footprints.Select(f => (double)f.Handles).ToArray()).Should().BeLessThan(0.5, "sessions close their sockets and files");
        GrowthPerCycle(footprints.Select(f => (double)f.Memory).ToArray()).Should().BeLessThan(MaxGrowthPerCycle,
            "sessions leave nothing behind in memory");
        var raws = ((JArray)await host.Client.GetJsonAsync("/api/profiles")).Where(f => f["kind"]!.Value<string>() == KnownFileKinds.Raw).ToArray();
        raws.Should().HaveCount(Cycles);
        foreach (var raw in raws)
        {
            FoldedFormat.Read(await host.Client.GetStringAsync($"/profiles/{raw["name"]}")).Errors.Should().BeEmpty();
        }
    }

    /// <summary>The least-squares slope of a series: a steady leak shows in it, however the figures jitter.</summary>
    private static double GrowthPerCycle(double[] values)
    {
        var meanX = (values.Length - 1) / 2.0;
        var meanY = values.Average();
        var covariance = values.Select((y, x) => (x - meanX) * (y - meanY)).Sum();
        var variance = values.Select((_, x) => (x - meanX) * (x - meanX)).Sum();
        return covariance / variance;
    }

    /// <summary>The host's threads, open file descriptors and anonymous memory (its heaps, not the files it maps).</summary>
    private static (int Threads, int Handles, long Memory) Footprint(int pid)
    {
        var status = File.ReadAllText($"/proc/{pid}/status");
        long Field(string name) => long.Parse(StatusField(name).Match(status).Groups[1].Value, CultureInfo.InvariantCulture);
        return ((int)Field("Threads"), Directory.GetFiles($"/proc/{pid}/fd").Length, Field("RssAnon") * 1024);
    }

    private static Regex StatusField(string name) => new($@"^{name}:\s+(\d+)", RegexOptions.Multiline);
}
