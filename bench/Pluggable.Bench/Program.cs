using System.CommandLine;
using Pluggable.Bench;
using Pluggable.Bench.Accuracy;
using Pluggable.Bench.Footprint;
using Pluggable.Bench.Overhead;
using Pluggable.Bench.Page;
using Pluggable.Bench.Processing;
using Pluggable.Bench.Reporting;
using Pluggable.Bench.Workloads;

// bench/run.sh runs every command in turn, then `report`; each can also run alone (see bench/README.md).
var results = new Option<string>("--results") { Description = "Folder for the JSON results.", DefaultValueFactory = _ => "bench/results", Recursive = true };
var quick = new Option<bool>("--quick") { Description = "A smoke run: short windows, one round, one load; figures not for comparison.", Recursive = true };
var dotnetTrace = new Option<string>("--dotnet-trace") { Description = "The dotnet-trace executable.", DefaultValueFactory = _ => "bench/.tools/dotnet-trace" };
var rounds = new Option<int?>("--rounds") { Description = "OFF/ON rounds per profiler (default 3, quick 1)." };
var window = new Option<double?>("--window") { Description = "Seconds per OFF or ON window (default 1.5, quick 1)." };
var warmup = new Option<double?>("--warmup") { Description = "Seconds of warm-up before the first window (default 2, quick 1)." };
var only = new Option<string?>("--only") { Description = "Run only the scenarios whose name contains this, e.g. 'cpu x2' or 'self'." };
var profilers = new Option<string[]>("--profiler") { Description = "Run only the profilers whose name contains one of these, e.g. 'itimer' 'dotnet-trace'.", AllowMultipleArgumentsPerToken = true };
var iterations = new Option<int?>("--iterations") { Description = "BenchmarkDotNet iterations per operation (default 3, quick 1)." };
var loads = new Option<int?>("--loads") { Description = "Page loads per profile size (default 3, quick 1)." };
var phaseSeconds = new Option<double?>("--phase") { Description = "Seconds per footprint phase (default 10, quick 3)." };
var readme = new Option<string>("--readme") { Description = "The README whose figures to rewrite.", DefaultValueFactory = _ => "bench/README.md" };
var workloadName = new Argument<string>("name") { Description = ServiceWorkload.Name };

var overhead = new Command("overhead", "Cost to a workload's throughput of each Pluggable event type, dotnet-trace and perf.") { dotnetTrace, rounds, window, warmup, only, profilers };
overhead.SetAction((parse, cancellationToken) =>
{
    var isQuick = parse.GetValue(quick);
    var settings = new OverheadSettings(parse.GetValue(rounds) ?? (isQuick ? 1 : 3), parse.GetValue(window) ?? (isQuick ? 1 : 1.5), parse.GetValue(warmup) ?? (isQuick ? 1 : 2));
    return new OverheadCommand(new BenchPaths(Path.GetFullPath(parse.GetValue(dotnetTrace)!)), new ResultFiles(parse.GetValue(results)!), settings, parse.GetValue(only), parse.GetValue(profilers) ?? [])
        .RunAsync(RunInfo.Now(isQuick), cancellationToken);
});

var processing = new Command("processing", "Folded text, transforms and rendering with BenchmarkDotNet, and stop-to-page end to end.") { iterations };
processing.SetAction((parse, cancellationToken) =>
{
    var isQuick = parse.GetValue(quick);
    return new ProcessingCommand(new ResultFiles(parse.GetValue(results)!), isQuick, parse.GetValue(iterations) ?? (isQuick ? 1 : 3)).RunAsync(RunInfo.Now(isQuick), cancellationToken);
});

var page = new Command("page", "Flamegraph page size against the folded text, and its first draw in headless Chromium.") { loads };
page.SetAction((parse, cancellationToken) =>
{
    var isQuick = parse.GetValue(quick);
    return new PageCommand(new ResultFiles(parse.GetValue(results)!), parse.GetValue(loads) ?? (isQuick ? 1 : 3)).RunAsync(RunInfo.Now(isQuick), cancellationToken);
});

var footprint = new Command("footprint", "Memory and CPU of the standalone host, idle and profiling.") { phaseSeconds };
footprint.SetAction((parse, cancellationToken) =>
{
    var isQuick = parse.GetValue(quick);
    return new FootprintCommand(new ResultFiles(parse.GetValue(results)!), TimeSpan.FromSeconds(parse.GetValue(phaseSeconds) ?? (isQuick ? 3 : 10))).RunAsync(RunInfo.Now(isQuick), cancellationToken);
});

var accuracySeconds = new Option<double?>("--seconds") { Description = "Seconds each sampler and perf record the service (default 10, quick 5)." };
var accuracy = new Command("accuracy", "Whole stacks and frame shares of cpu and itimer on a real ASP.NET Core service, against perf record -g.") { accuracySeconds };
accuracy.SetAction((parse, cancellationToken) =>
{
    var isQuick = parse.GetValue(quick);
    var seconds = TimeSpan.FromSeconds(parse.GetValue(accuracySeconds) ?? (isQuick ? 5 : 10));
    return new AccuracyCommand(new ResultFiles(parse.GetValue(results)!), seconds, TimeSpan.FromSeconds(isQuick ? 8 : 15)).RunAsync(RunInfo.Now(isQuick), cancellationToken);
});

var report = new Command("report", "Rewrite the figures in the README from the result files.") { readme };
report.SetAction(parse =>
{
    ReadmeTable.Rewrite(parse.GetValue(readme)!, new ResultFiles(parse.GetValue(results)!));
    return 0;
});

var workload = new Command("workload", "Run one of the bench's own target workloads (started by the harness itself).") { workloadName };
workload.Hidden = true;
workload.SetAction((parse, _) => WorkloadCommand.RunAsync(parse.GetValue(workloadName)!));

var root = new RootCommand("Pluggable's benchmarks: overhead against dotnet-trace and perf, processing speed, page size and draw time, host footprint, accuracy on a service.")
{
    results, quick, overhead, processing, page, footprint, accuracy, report, workload,
};
return await root.Parse(args).InvokeAsync();
