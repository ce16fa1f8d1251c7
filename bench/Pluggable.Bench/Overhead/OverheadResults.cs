using Pluggable.Bench.Reporting;

namespace Pluggable.Bench.Overhead;

public sealed record OverheadResults(RunInfo Run, OverheadSettings Settings, IReadOnlyList<ScenarioResult> Scenarios)
{
    public const string FileName = "overhead.json";
}

/// <summary>How the windows were laid out: after a warm-up, OFF and ON windows alternate, each ON between two OFF.</summary>
public sealed record OverheadSettings(int Rounds, double WindowSeconds, double WarmupSeconds);

/// <param name="Name">e.g. <c>cpu x2</c>.</param>
/// <param name="Workload">The workload's name: a fixture workload, mixed or service.</param>
/// <param name="Threads">Its busy threads (for the service, its request loops).</param>
/// <param name="Target">How the workload ran: fixture, mixed, service (own processes) or self (inside the harness, with the host).</param>
/// <param name="Unit">The throughput's unit.</param>
/// <param name="Baseline">The median throughput of the OFF windows.</param>
/// <param name="OtherLoad">CPU that processes outside the harness (and what it started) used during the scenario, in percent of all CPUs: high means the figures are noisy.</param>
/// <param name="Tools">Each profiler's figures.</param>
/// <param name="Note">Anything the figures need to be read with, e.g. failed requests.</param>
/// <param name="Error">Why the scenario could not run, if it could not.</param>
public sealed record ScenarioResult(
    string Name, string Workload, int Threads, string Target, string Unit, double? Baseline, double? OtherLoad, IReadOnlyList<ToolResult> Tools, string? Note, string? Error);

/// <summary>One profiler on one scenario: the cost is 100 × (1 − ON / mean of the OFF windows around it), so positive means slower.</summary>
/// <param name="Tool">The profiler and its configuration.</param>
/// <param name="CostMedian">The median over rounds of the cost, in percent.</param>
/// <param name="CostMin">The lowest round's cost.</param>
/// <param name="CostMax">The highest round's cost.</param>
/// <param name="StartMs">Median time from asking the profiler to start until it collects (excluded from the ON window).</param>
/// <param name="StopMs">Median time to stop; for Pluggable the POST /api/profiler/stop, which stores the profile and renders its flamegraph.</param>
/// <param name="ProfilerCpu">Median CPU of the profiler's own processes during the ON window, in percent of one core; null when it is the target itself.</param>
/// <param name="Samples">Median samples per session, where the profiler tells.</param>
/// <param name="OutputBytes">Median size of what the profiler wrote, where it is a file (dotnet-trace's .nettrace).</param>
/// <param name="Rounds">Every round's windows.</param>
/// <param name="Note">What the profiler warned about.</param>
/// <param name="Error">Why the profiler stopped taking part (it could not start or stop), if it did.</param>
public sealed record ToolResult(
    string Tool, double? CostMedian, double? CostMin, double? CostMax, double? StartMs, double? StopMs, double? ProfilerCpu,
    long? Samples, long? OutputBytes, IReadOnlyList<RoundResult> Rounds, string? Note, string? Error);

/// <summary>One ON window and the OFF windows either side of it, in the scenario's throughput unit.</summary>
public sealed record RoundResult(double OffBefore, double On, double OffAfter, double Ratio, double StartMs, double StopMs, double? ProfilerCpu, long? Samples, long? OutputBytes);
