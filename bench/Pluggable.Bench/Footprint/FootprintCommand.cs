using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Pluggable.Bench.Infrastructure;
using Pluggable.Bench.Overhead;
using Pluggable.Bench.Reporting;
using Pluggable.Bench.Workloads;

namespace Pluggable.Bench.Footprint;

public sealed record FootprintResults(RunInfo Run, string Target, IReadOnlyList<FootprintPhase> Phases, long? PeakRssBytes, string? Error)
{
    public const string FileName = "footprint.json";
}

/// <param name="Phase">What the host was doing.</param>
/// <param name="Seconds">How long the phase lasted.</param>
/// <param name="CpuPercent">The host's CPU (with any helper process it started) over the phase, in percent of one core.</param>
/// <param name="RssBytes">VmRSS at the end of the phase: resident memory, with the mapped runtime and framework files.</param>
/// <param name="AnonymousRssBytes">RssAnon: the resident memory that is the host's own.</param>
/// <param name="PssBytes">Pss: resident memory with the pages shared with other processes (the target maps the same runtime and framework files) counted in proportion.</param>
/// <param name="GcHeapBytes">The host's GC heap (System.Runtime gc-heap-size).</param>
/// <param name="GcCommittedBytes">Memory the host's GC has committed (gc-committed).</param>
/// <param name="StopMs">For a profiling phase, the stop that ended it.</param>
/// <param name="Samples">For a profiling phase, the samples its profile holds.</param>
public sealed record FootprintPhase(string Phase, double Seconds, double? CpuPercent, long? RssBytes, long? AnonymousRssBytes, long? PssBytes, long? GcHeapBytes, long? GcCommittedBytes, double? StopMs, long? Samples);

/// <summary>
/// The standalone host's own cost: memory and CPU of its process, attached by pid to the mixed workload (which computes and
/// allocates), while idle, while profiling cpu, while profiling alloc, and idle again after those stops.
/// </summary>
internal sealed class FootprintCommand(ResultFiles results, TimeSpan phase)
{
    private const int Threads = 1;

    public async Task<int> RunAsync(RunInfo run, CancellationToken cancellationToken)
    {
        var target = $"mixed workload x{Threads}";
        var phases = new List<FootprintPhase>();
        long? peak = null;
        string? error = null;
        try
        {
            await using var workload = await CountingProcess.StartAsync("mixed workload", [BenchPaths.FixtureWorkload, "mixed", Threads.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken);
            await using var host = await PluggableHost.StartByPidAsync(BenchPaths.Cli, workload.Pid);
            var hostPid = host.ProcessId!.Value;
            // Let start-up work (JIT, plugin loading) settle before idle is measured.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            phases.Add(await MeasureAsync("idle, attached", hostPid, phase, null, cancellationToken));
            foreach (var eventType in new[] { "cpu", "alloc" })
            {
                Console.WriteLine($"footprint: profiling {eventType} for {phase.TotalSeconds} s");
                await host.StartAsync(eventType, new JObject(), cancellationToken);
                phases.Add(await MeasureAsync($"profiling {eventType}", hostPid, phase, host, cancellationToken));
            }
            phases.Add(await MeasureAsync("idle, after the stops", hostPid, phase, null, cancellationToken));
            peak = ProcFs.Memory(hostPid)?.PeakRss;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The phases measured so far are still worth writing down, beside what stopped the rest.
            error = e.Message;
        }
        results.Write(FootprintResults.FileName, new FootprintResults(run, target, phases, peak, error));
        return error is null ? 0 : 1;
    }

    /// <summary>Measures the host over <paramref name="duration"/>; when <paramref name="session"/> is given, stops its session after and times the stop.</summary>
    private static async Task<FootprintPhase> MeasureAsync(string name, int hostPid, TimeSpan duration, PluggableHost? session, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var cpuBefore = ProcFs.TreeCpuTime(hostPid);
        await Task.Delay(duration, cancellationToken);
        var cpuAfter = ProcFs.TreeCpuTime(hostPid);
        var seconds = clock.Elapsed.TotalSeconds;
        var memory = ProcFs.Memory(hostPid);
        var counters = await RuntimeCounters.ReadAsync(hostPid, [RuntimeCounters.GcHeapSize, RuntimeCounters.GcCommitted], TimeSpan.FromSeconds(5), cancellationToken);
        double? stopMs = null;
        long? samples = null;
        if (session is not null)
        {
            clock.Restart();
            samples = (await session.StopAsync(cancellationToken)).Samples;
            stopMs = clock.Elapsed.TotalMilliseconds;
        }
        long? Megabytes(string counter) => counters.TryGetValue(counter, out var mb) ? (long)(mb * 1024 * 1024) : null;
        return new FootprintPhase(
            name, Math.Round(seconds, 1),
            cpuBefore is { } a && cpuAfter is { } b ? 100 * (b - a).TotalSeconds / seconds : null,
            memory?.Rss, memory?.AnonymousRss, memory?.Pss, Megabytes(RuntimeCounters.GcHeapSize), Megabytes(RuntimeCounters.GcCommitted), stopMs, samples);
    }
}
