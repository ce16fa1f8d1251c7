using Newtonsoft.Json.Linq;
using Pluggable.Bench.Overhead;
using Pluggable.Bench.Reporting;
using Pluggable.Core.Profiles;
using Pluggable.GroundTruth;

namespace Pluggable.Bench.Accuracy;

public sealed record AccuracyResults(RunInfo Run, string Target, double WindowSeconds, IReadOnlyList<AccuracyRow> Rows, string? Error)
{
    public const string FileName = "accuracy.json";

    /// <summary>Frames every request of the shop passes, whose shares the table shows: a short label, and the start of the frame's name.</summary>
    public static IReadOnlyList<(string Label, string Frame)> KnownFrames { get; } =
    [
        ("ThreadPoolWorkQueue.Dispatch", "System.Threading.ThreadPoolWorkQueue.Dispatch"),
        ("Kestrel's ProcessRequests", "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol+<ProcessRequests>"),
        ("AuthenticationMiddleware.Invoke", "Microsoft.AspNetCore.Authentication.AuthenticationMiddleware+<Invoke>"),
    ];
}

public sealed record FrameShare(string Frame, double Ours, double Perf);

/// <param name="Sampler">The Pluggable event type (and mode) measured.</param>
/// <param name="Samples">Its profile's samples.</param>
/// <param name="WholeShare">Its share of samples whose stack starts at the thread's entry.</param>
/// <param name="PerfSamples">perf record -g's samples of the target over the same window.</param>
/// <param name="PerfWholeShare">perf's share of whole stacks.</param>
/// <param name="Shares">Inclusive share of each known frame, Pluggable's and perf's.</param>
/// <param name="Error">Why the row could not be measured, if it could not.</param>
/// <param name="WorstShortfall">Over the top 20 managed frames by perf's share, the most Pluggable's share falls below perf's (negative: never below).</param>
public sealed record AccuracyRow(string Sampler, long Samples, double WholeShare, long PerfSamples, double PerfWholeShare, IReadOnlyList<FrameShare> Shares, double WorstShortfall, string? Error);

/// <summary>
/// How true the CPU samplers' stacks are on a real service: the shop (tests/Fixtures/Service) under its load, each
/// sampler run for one window while perf record -a -g records the same window, the ground truth the tests use too.
/// </summary>
internal sealed class AccuracyCommand(ResultFiles results, TimeSpan window, TimeSpan warmUp)
{
    private static readonly (string Name, string EventType, JObject Options)[] Samplers =
    [
        ("cpu (per CPU)", "cpu", JObject.Parse("""{"events": {"cpu": {"mode": "cpu"}}}""")),
        ("cpu (per thread)", "cpu", JObject.Parse("""{"events": {"cpu": {"mode": "thread"}}}""")),
        ("itimer", "itimer", new JObject()),
    ];

    public async Task<int> RunAsync(RunInfo run, CancellationToken cancellationToken)
    {
        const string target = "the shop service, 16 clients at up to 800 requests/s";
        var rows = new List<AccuracyRow>();
        string? error = null;
        var work = Directory.CreateTempSubdirectory("pluggable-bench-accuracy-");
        try
        {
            await using var shop = await CountingProcess.StartAsync("shop", [BenchPaths.ServiceFixture, "serve"], cancellationToken, new Dictionary<string, string> { ["DOTNET_PerfMapEnabled"] = "1" });
            await using var load = await CountingProcess.StartAsync("shop load", [BenchPaths.ServiceFixture, "load", shop.Ready[0], "16", "800"], cancellationToken);
            await using var host = await PluggableHost.StartByPidAsync(BenchPaths.Cli, shop.Pid);
            Console.WriteLine($"accuracy: warming the shop up for {warmUp.TotalSeconds} s");
            await Task.Delay(warmUp, cancellationToken);
            foreach (var (name, eventType, options) in Samplers)
            {
                Console.WriteLine($"accuracy: {name} and perf record -g for {window.TotalSeconds} s");
                rows.Add(await MeasureAsync(host, shop.Pid, name, eventType, options, work.FullName, cancellationToken));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = e.Message;
        }
        finally
        {
            work.Delete(recursive: true);
        }
        results.Write(AccuracyResults.FileName, new AccuracyResults(run, target, window.TotalSeconds, rows, error));
        return error is null && rows.All(r => r.Error is null) ? 0 : 1;
    }

    private async Task<AccuracyRow> MeasureAsync(PluggableHost host, int pid, string name, string eventType, JObject options, string work, CancellationToken cancellationToken)
    {
        try
        {
            await host.StartAsync(eventType, options, cancellationToken);
            var truth = await PerfRecord.RecordAsync(pid, window, 499, work, cancellationToken);
            await host.StopAsync(cancellationToken);
            var profile = host.ReadLatestProfile();
            var ours = profile.InclusiveShares();
            var perf = truth.InclusiveShares();
            double Share(Dictionary<string, double> shares, string frame) => shares.Where(s => s.Key.StartsWith(frame, StringComparison.Ordinal)).Select(s => s.Value).DefaultIfEmpty(0).Max();
            var worst = perf.OrderByDescending(s => s.Value).Take(20).Max(s => s.Value - ours.GetValueOrDefault(s.Key));
            return new AccuracyRow(name, profile.SampleCount, profile.WholeStackShare(), truth.SampleCount, truth.WholeStackShare(),
                AccuracyResults.KnownFrames.Select(f => new FrameShare(f.Label, Share(ours, f.Frame), Share(perf, f.Frame))).ToArray(), worst, null);
        }
        catch (Exception e) when (e is ProfilerToolException or InvalidOperationException or IOException)
        {
            return new AccuracyRow(name, 0, 0, 0, 0, [], 0, e.Message);
        }
    }
}
