using Newtonsoft.Json.Linq;

namespace Pluggable.Bench.Overhead;

/// <summary>Where a scenario's workload runs.</summary>
internal enum TargetKind
{
    /// <summary>The fixture (tests/Fixtures/Workload) as its own process; Pluggable attaches by pid.</summary>
    Fixture,

    /// <summary>The bench's ASP.NET Core service as its own process, loaded from the harness; Pluggable attaches by pid.</summary>
    Service,

    /// <summary>The fixture workload inside the harness, profiled by the host library inside the harness too.</summary>
    Self,
}

/// <summary>One target process lifetime, and the profilers compared on it.</summary>
internal sealed record OverheadScenario(string Name, string Workload, int Threads, TargetKind Kind, IReadOnlyList<ProfilerTool> Tools);

/// <summary>The comparison matrix: every event type at one and two busy threads, each beside dotnet-trace's nearest equivalent, and cpu beside perf.</summary>
internal static class OverheadScenarios
{
    /// <summary>The load on the service: enough requests in flight to keep both cores busy between the service and the harness.</summary>
    public const int ServiceConcurrency = 4;

    private static readonly ProfilerTool TraceThreadTime = new DotnetTraceTool("dotnet-trace sampled-thread-time", ["--profile", "dotnet-sampled-thread-time"]);
    private static readonly ProfilerTool TraceGcVerbose = new DotnetTraceTool("dotnet-trace gc-verbose", ["--profile", "gc-verbose"]);

    public static IReadOnlyList<OverheadScenario> All { get; } =
    [
        // wall runs on the cpu workload: its cost is stopping busy threads, which a mostly sleeping workload would hide.
        .. new[] { 1, 2 }.Select(threads => new OverheadScenario($"cpu x{threads}", "cpu", threads, TargetKind.Fixture,
        [
            Pluggable("cpu", "per CPU", new JObject { ["events"] = new JObject { ["cpu"] = new JObject { ["mode"] = "cpu" } } }),
            Pluggable("cpu", "per thread", new JObject { ["events"] = new JObject { ["cpu"] = new JObject { ["mode"] = "thread" } } }),
            Pluggable("itimer"),
            Pluggable("wall"),
            TraceThreadTime,
            new PerfTool("perf record -p (per thread)", AllCpus: false),
            new PerfTool("perf record -a (per CPU)", AllCpus: true),
        ])),
        .. new[] { 1, 2 }.Select(threads => new OverheadScenario($"alloc x{threads}", "alloc", threads, TargetKind.Fixture,
            [Pluggable("alloc"), TraceGcVerbose])),
        // The fixture's lock workload always runs at least two threads, since contention needs two.
        new OverheadScenario("lock x2", "lock", 2, TargetKind.Fixture,
            [Pluggable("lock"), new DotnetTraceTool("dotnet-trace contention events", ["--clrevents", "contention"])]),
        // dotnet-trace has no exceptions profile; the fixture's workload sleeps a millisecond per throw, as a service throws.
        .. new[] { 1, 2 }.Select(threads => new OverheadScenario($"exceptions x{threads}", "exceptions", threads, TargetKind.Fixture,
            [Pluggable("exceptions")])),
        new OverheadScenario("mixed x2", "mixed", 2, TargetKind.Fixture,
            [Pluggable("cpu"), Pluggable("alloc"), Pluggable("lock"), Pluggable("exceptions"), TraceThreadTime]),
        new OverheadScenario($"service, {ServiceConcurrency} request loops", "service", ServiceConcurrency, TargetKind.Service,
            [Pluggable("cpu"), Pluggable("alloc"), TraceThreadTime]),
        new OverheadScenario("self: cpu x2", "cpu", 2, TargetKind.Self, [Pluggable("cpu"), Pluggable("itimer")]),
        new OverheadScenario("self: alloc x2", "alloc", 2, TargetKind.Self, [Pluggable("alloc")]),
    ];

    private static PluggableTool Pluggable(string eventType, string? variant = null, JObject? options = null) =>
        new(variant is null ? $"Pluggable {eventType}" : $"Pluggable {eventType} ({variant})", eventType, options);
}
