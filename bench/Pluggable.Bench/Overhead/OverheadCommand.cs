using System.Diagnostics;
using Pluggable.Bench.Infrastructure;
using Pluggable.Bench.Reporting;
using Pluggable.Bench.Workloads;
using FixtureWorkloads = Pluggable.Fixtures.Workloads;

namespace Pluggable.Bench.Overhead;

/// <summary>
/// What each profiler costs a workload's throughput. The VM's throughput drifts between runs and within one, so every
/// comparison happens inside one target process lifetime: after a warm-up, windows alternate OFF and ON, each ON window
/// between two OFF ones, and a round's ratio is ON over the mean of its two OFF neighbours. The profiler's start and
/// stop happen outside the windows and are reported on their own. The order of the profilers rotates every round.
/// </summary>
internal sealed class OverheadCommand(BenchPaths paths, ResultFiles results, OverheadSettings settings, string? only, IReadOnlyList<string> profilers)
{
    public async Task<int> RunAsync(RunInfo run, CancellationToken cancellationToken)
    {
        var scenarios = OverheadScenarios.All
            .Where(s => only is null || s.Name.Contains(only, StringComparison.OrdinalIgnoreCase))
            .Select(s => s with { Tools = s.Tools.Where(t => profilers.Count == 0 || profilers.Any(p => t.Name.Contains(p, StringComparison.OrdinalIgnoreCase))).ToArray() })
            .Where(s => s.Tools.Count > 0)
            .ToArray();
        var done = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            Console.WriteLine($"overhead: {scenario.Name} ({scenario.Tools.Count} profilers, {settings.Rounds} rounds of {settings.WindowSeconds} s windows)");
            ScenarioResult result;
            try
            {
                result = await RunScenarioAsync(scenario, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.WriteLine($"  failed: {e.Message}");
                result = new ScenarioResult(scenario.Name, scenario.Workload, scenario.Threads, scenario.Kind.ToString().ToLowerInvariant(), "", null, null, [], null, e.Message);
            }
            done.Add(result);
            results.Write(OverheadResults.FileName, new OverheadResults(run, settings, done));
        }
        return done.Any(s => s.Error is not null) ? 1 : 0;
    }

    private async Task<ScenarioResult> RunScenarioAsync(OverheadScenario scenario, CancellationToken cancellationToken)
    {
        await using var target = await StartTargetAsync(scenario, cancellationToken);
        await using var host = scenario.Tools.Any(t => t is PluggableTool)
            ? scenario.Kind == TargetKind.Self ? await PluggableHost.StartInProcessAsync() : await PluggableHost.StartByPidAsync(BenchPaths.Cli, target.Pid)
            : null;
        var available = host is null ? new Dictionary<string, EventAvailability>() : await host.EventTypesAsync(cancellationToken);
        var temp = Directory.CreateTempSubdirectory("pluggable-bench-");
        try
        {
            var context = new ToolContext(target.Pid, host, paths.DotnetTrace, temp.FullName);
            var records = scenario.Tools.Select(tool => new ToolRecord(tool)).ToArray();
            foreach (var record in records)
            {
                if (record.Tool is PluggableTool pluggable && available.GetValueOrDefault(pluggable.EventType) is not { Available: true })
                {
                    record.Error = $"not available: {available.GetValueOrDefault(pluggable.EventType)?.Reason ?? "no plugin serves it"}";
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(settings.WarmupSeconds), cancellationToken);
            var otherLoad = OtherLoad.Start();
            var window = TimeSpan.FromSeconds(settings.WindowSeconds);
            var offs = new List<double>();
            var before = await Throughput.MeasureAsync(target, window, cancellationToken);
            offs.Add(before);
            for (var round = 0; round < settings.Rounds; round++)
            {
                foreach (var record in records.Skip(round % records.Length).Concat(records.Take(round % records.Length)).Where(r => r.Error is null))
                {
                    var (measured, after) = await MeasureOnceAsync(record, context, target, before, window, cancellationToken);
                    if (measured is not null)
                    {
                        record.Rounds.Add(measured);
                    }
                    if (after is { } off)
                    {
                        offs.Add(off);
                        before = off;
                    }
                    Console.WriteLine(measured is null ? $"  {record.Tool.Name}: {record.Error}" : $"  {record.Tool.Name}: {100 * (1 - measured.Ratio):0.0}% (start {measured.StartMs:0} ms, stop {measured.StopMs:0} ms)");
                }
            }
            var note = target is LoadedService { Failed: > 0 } service ? $"{service.Failed} requests failed" : null;
            return new ScenarioResult(scenario.Name, scenario.Workload, scenario.Threads, scenario.Kind.ToString().ToLowerInvariant(), target.Unit,
                Statistics.Median(offs), otherLoad.Percent(), records.Select(r => r.Summary()).ToArray(), note, null);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>Starts the profiler, measures an ON window, stops it, and measures the OFF window after; null parts when the profiler failed.</summary>
    private static async Task<(RoundResult? Round, double? OffAfter)> MeasureOnceAsync(
        ToolRecord record, ToolContext context, IThroughputTarget target, double before, TimeSpan window, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        ToolSession session;
        try
        {
            session = await record.Tool.StartAsync(context, cancellationToken);
        }
        catch (ProfilerToolException e)
        {
            record.Error = e.Message;
            return (null, null);
        }
        var startMs = clock.Elapsed.TotalMilliseconds;

        var cpuBefore = session.ProcessId is { } pid ? ProcFs.TreeCpuTime(pid) : null;
        clock.Restart();
        var on = await Throughput.MeasureAsync(target, window, cancellationToken);
        var cpuAfter = session.ProcessId is { } samePid ? ProcFs.TreeCpuTime(samePid) : null;
        double? profilerCpu = cpuBefore is { } a && cpuAfter is { } b ? 100 * (b - a).TotalSeconds / clock.Elapsed.TotalSeconds : null;

        clock.Restart();
        ToolOutcome outcome;
        try
        {
            outcome = await session.StopAsync(cancellationToken);
        }
        catch (ProfilerToolException e)
        {
            record.Error = e.Message;
            return (null, null);
        }
        var stopMs = clock.Elapsed.TotalMilliseconds;
        record.Note ??= outcome.Note;

        var after = await Throughput.MeasureAsync(target, window, cancellationToken);
        var ratio = on / ((before + after) / 2);
        return (new RoundResult(before, on, after, ratio, startMs, stopMs, profilerCpu, outcome.Samples, outcome.OutputBytes), after);
    }

    private async Task<IThroughputTarget> StartTargetAsync(OverheadScenario scenario, CancellationToken cancellationToken)
    {
        var threads = scenario.Threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return scenario.Kind switch
        {
            TargetKind.Fixture => await CountingProcess.StartAsync($"{scenario.Workload} workload", [BenchPaths.FixtureWorkload, scenario.Workload, threads], cancellationToken),
            TargetKind.Service => await LoadedService.StartAsync(BenchPaths.Harness, scenario.Threads),
            TargetKind.Self => new InProcessWorkload(FixtureWorkloads.Start(scenario.Workload, scenario.Threads)),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
    }

    /// <summary>What the machine spent on processes other than the harness and its children (the targets, hosts and profilers) since <see cref="Start"/>.</summary>
    private sealed class OtherLoad
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly TimeSpan _machine = ProcFs.MachineBusyTime();
        private readonly TimeSpan _harness = ProcFs.TreeCpuTime(Environment.ProcessId) ?? TimeSpan.Zero;

        public static OtherLoad Start() => new();

        /// <summary>In percent of all CPUs.</summary>
        public double Percent()
        {
            var other = ProcFs.MachineBusyTime() - _machine - ((ProcFs.TreeCpuTime(Environment.ProcessId) ?? TimeSpan.Zero) - _harness);
            return Math.Max(0, 100 * other.TotalSeconds / (_clock.Elapsed.TotalSeconds * Environment.ProcessorCount));
        }
    }

    /// <summary>The rounds one profiler has run so far in a scenario, or why it stopped running.</summary>
    private sealed class ToolRecord(ProfilerTool tool)
    {
        public ProfilerTool Tool { get; } = tool;

        public List<RoundResult> Rounds { get; } = [];

        public string? Note { get; set; }

        public string? Error { get; set; }

        public ToolResult Summary()
        {
            var costs = Rounds.Select(r => 100 * (1 - r.Ratio)).ToArray();
            return new ToolResult(
                Tool.Name,
                Statistics.Median(costs),
                costs.Length > 0 ? costs.Min() : null,
                costs.Length > 0 ? costs.Max() : null,
                Statistics.Median(Rounds.Select(r => r.StartMs)),
                Statistics.Median(Rounds.Select(r => r.StopMs)),
                Statistics.Median(Rounds.Where(r => r.ProfilerCpu is not null).Select(r => r.ProfilerCpu!.Value)),
                Statistics.MedianOf(Rounds.Where(r => r.Samples is not null).Select(r => r.Samples!.Value)),
                Statistics.MedianOf(Rounds.Where(r => r.OutputBytes is not null).Select(r => r.OutputBytes!.Value)),
                Rounds,
                Note,
                Error);
        }
    }
}
