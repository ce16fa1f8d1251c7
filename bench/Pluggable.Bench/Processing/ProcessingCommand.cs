using System.Diagnostics;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Newtonsoft.Json.Linq;
using Pluggable.Bench.Overhead;
using Pluggable.Bench.Reporting;

namespace Pluggable.Bench.Processing;

public sealed record ProcessingResults(
    RunInfo Run, IReadOnlyList<ProfileShape> Profiles, IReadOnlyList<OperationResult> Operations, IReadOnlyList<SkippedOperation> Skipped,
    string? Transforms, StopToPageResult? StopToPage, string? StopToPageError)
{
    public const string FileName = "processing.json";
}

/// <summary>A synthetic profile the operations ran on.</summary>
public sealed record ProfileShape(int Stacks, long Samples, int Frames, double MeanDepth);

/// <param name="Operation">What was timed.</param>
/// <param name="Size">The input: <c>200000 stacks</c> or <c>1000000 samples</c>.</param>
/// <param name="MeanMs">BenchmarkDotNet's mean time per operation.</param>
/// <param name="StdDevMs">Its standard deviation.</param>
/// <param name="AllocatedBytes">Bytes allocated per operation.</param>
public sealed record OperationResult(string Operation, string Size, double MeanMs, double? StdDevMs, long? AllocatedBytes);

public sealed record SkippedOperation(string Operation, string Reason);

/// <summary>POST /api/profiler/stop timed end to end for cpu sessions of a running workload: the sampler's stop, storing the raw text, rendering the page.</summary>
public sealed record StopToPageResult(string Target, double SessionSeconds, IReadOnlyList<double> StopMs, IReadOnlyList<long> Samples);

/// <summary>
/// How fast profiles are processed: BenchmarkDotNet, in this process, on synthetic profiles of 10k to 200k stacks (and
/// sample aggregation at 10k to 1M samples), with the real plugins; then stop-to-page end to end on a real cpu session.
/// </summary>
internal sealed class ProcessingCommand(ResultFiles results, bool quick, int iterations)
{
    public async Task<int> RunAsync(RunInfo run, CancellationToken cancellationToken)
    {
        var skipped = new List<SkippedOperation>();
        var skippedMethods = new HashSet<string>();
        var transforms = ProcessingInputs.Transforms;
        if (transforms.Pipeline is null)
        {
            skipped.Add(new SkippedOperation("apply typical transforms", transforms.Missing!));
            skippedMethods.Add(nameof(ProfileBenchmarks.ApplyTransforms));
        }
        if (ProcessingInputs.Diffgraph is (null, { } noDiffgraph))
        {
            skipped.Add(new SkippedOperation("render diffgraph page", noDiffgraph));
            skippedMethods.Add(nameof(ProfileBenchmarks.RenderDiffgraph));
        }
        skipped.Add(new SkippedOperation("EventPipe trace processing", "not measured: the eventpipe sampler reads events in real time, so its cost shows in the overhead and stop figures"));

        var operations = RunBenchmarks(run, results.PathOf("benchmarkdotnet"), skippedMethods);
        var shapes = ProcessingInputs.Sizes.Select(s => ProcessingInputs.Profile(s.Stacks))
            .Select(p => new ProfileShape(p.Stacks.Count, p.TotalWeight, p.Frames.Count, Math.Round(p.Stacks.Average(s => s.Frames.Length), 1)))
            .ToArray();

        StopToPageResult? stopToPage = null;
        string? stopError = null;
        try
        {
            stopToPage = await MeasureStopToPageAsync(cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or ProfilerToolException or HttpRequestException)
        {
            stopError = e.Message;
        }
        results.Write(ProcessingResults.FileName, new ProcessingResults(run, shapes, operations, skipped, transforms.Pipeline is null ? null : transforms.Names, stopToPage, stopError));
        return operations.Count > 0 && stopError is null ? 0 : 1;
    }

    private List<OperationResult> RunBenchmarks(RunInfo run, string artifacts, HashSet<string> skippedMethods)
    {
        // In process: no generated project to build, and the plugins loaded once are the ones timed. Every operation takes
        // milliseconds to seconds, so each iteration is one call (monitoring) rather than a calibrated loop of them.
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 0 : 1)
            .WithIterationCount(iterations)
            .WithId("processing");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddLogger(ConsoleLogger.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddFilter(new SimpleFilter(benchmark => !skippedMethods.Contains(benchmark.Descriptor.WorkloadMethod.Name)))
            .WithArtifactsPath(artifacts);
        if (run.Build != "Release")
        {
            // A --prebuilt run measures the Debug build it was given; the figures say so (RunInfo.Build).
            config = config.WithOptions(ConfigOptions.DisableOptimizationsValidator);
        }
        var operations = new List<OperationResult>();
        foreach (var summary in BenchmarkRunner.Run([typeof(ProfileBenchmarks), typeof(SampleAggregationBenchmarks)], config))
        {
            foreach (var report in summary.Reports.Where(r => r.ResultStatistics is not null))
            {
                var benchmark = report.BenchmarkCase;
                var parameter = benchmark.Parameters.Items.Single();
                var size = $"{parameter.Value} {parameter.Name.ToLowerInvariant()}";
                operations.Add(new OperationResult(
                    benchmark.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                    size,
                    report.ResultStatistics!.Mean / 1e6,
                    report.ResultStatistics.StandardDeviation / 1e6,
                    report.GcStats.GetBytesAllocatedPerOperation(benchmark)));
            }
        }
        return operations;
    }

    private async Task<StopToPageResult> MeasureStopToPageAsync(CancellationToken cancellationToken)
    {
        const int threads = 2;
        var session = TimeSpan.FromSeconds(quick ? 2 : 10);
        var repeats = quick ? 1 : 3;
        Console.WriteLine($"processing: stop to page, {repeats} cpu session(s) of {session.TotalSeconds} s on the cpu workload x{threads}");
        await using var target = await CountingProcess.StartAsync("cpu workload", [BenchPaths.FixtureWorkload, "cpu", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken);
        await using var host = await PluggableHost.StartByPidAsync(BenchPaths.Cli, target.Pid);
        var stops = new List<double>();
        var samples = new List<long>();
        for (var i = 0; i < repeats; i++)
        {
            await host.StartAsync("cpu", new JObject(), cancellationToken);
            await Task.Delay(session, cancellationToken);
            var clock = Stopwatch.StartNew();
            var answer = await host.StopAsync(cancellationToken);
            stops.Add(clock.Elapsed.TotalMilliseconds);
            samples.Add(answer.Samples);
        }
        return new StopToPageResult($"cpu workload x{threads}", session.TotalSeconds, stops, samples);
    }
}
