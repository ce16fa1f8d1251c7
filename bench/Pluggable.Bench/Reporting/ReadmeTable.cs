using System.Globalization;
using System.Text;
using Pluggable.Bench.Accuracy;
using Pluggable.Bench.Footprint;
using Pluggable.Bench.Overhead;
using Pluggable.Bench.Page;
using Pluggable.Bench.Processing;

namespace Pluggable.Bench.Reporting;

/// <summary>Rewrites the figures in bench/README.md, between two marker comments, from the result files.</summary>
internal static class ReadmeTable
{
    public const string Begin = "<!-- figures:begin (bench/run.sh writes this part from bench/results/*.json) -->";
    public const string End = "<!-- figures:end -->";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static void Rewrite(string readme, ResultFiles results)
    {
        var text = File.ReadAllText(readme);
        var begin = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        if (begin < 0 || end < begin)
        {
            throw new InvalidOperationException($"{readme} has no figures markers ({Begin} ... {End})");
        }
        var figures = Figures(
            results.Read<OverheadResults>(OverheadResults.FileName),
            results.Read<ProcessingResults>(ProcessingResults.FileName),
            results.Read<PageResults>(PageResults.FileName),
            results.Read<FootprintResults>(FootprintResults.FileName),
            results.Read<AccuracyResults>(AccuracyResults.FileName));
        File.WriteAllText(readme, text[..(begin + Begin.Length)] + "\n" + figures + text[end..]);
        Console.WriteLine($"rewrote the figures in {readme}");
    }

    private static string Figures(OverheadResults? overhead, ProcessingResults? processing, PageResults? page, FootprintResults? footprint, AccuracyResults? accuracy)
    {
        var runs = new RunInfo?[] { overhead?.Run, processing?.Run, page?.Run, footprint?.Run, accuracy?.Run }.OfType<RunInfo>().ToArray();
        var text = new StringBuilder();
        if (runs.Length == 0)
        {
            return "\nNo results yet: run `bench/run.sh`.\n\n";
        }
        var latest = runs.MaxBy(r => r.Date)!;
        var machine = latest.Machine;
        text.Append('\n');
        if (runs.Any(r => r.Quick))
        {
            text.Append("**Quick run** (`--quick`: one short round per figure, to check that everything works; not figures to compare or quote).\n\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"- Date: {string.Join(", ", runs.Select(r => r.Date.ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant)).Distinct())}\n");
        text.Append(CultureInfo.InvariantCulture, $"- Machine: {machine.Cores} cores ({machine.Cpu}), {machine.MemoryGiB} GiB, kernel {machine.Kernel}, {machine.Os}, {machine.Runtime}, perf_event_paranoid {machine.PerfEventParanoid}, as root\n");
        text.Append(CultureInfo.InvariantCulture, $"- Commit: {string.Join(", ", runs.Select(r => r.Commit).Distinct())}; built {string.Join(", ", runs.Select(r => r.Build).Distinct())}{(runs.Any(r => r.Build != "Release") ? " (`--prebuilt`: the Debug build of the host and plugins, slower than a release)" : "")}\n\n");
        if (overhead is not null)
        {
            OverheadTable(text, overhead);
        }
        if (processing is not null)
        {
            ProcessingTables(text, processing);
        }
        if (page is not null)
        {
            PageTable(text, page);
        }
        if (footprint is not null)
        {
            FootprintTable(text, footprint);
        }
        if (accuracy is not null)
        {
            AccuracyTable(text, accuracy);
        }
        return text.ToString();
    }

    private static void OverheadTable(StringBuilder text, OverheadResults overhead)
    {
        var s = overhead.Settings;
        text.Append(CultureInfo.InvariantCulture, $"### Overhead\n\nCost to the target's throughput: the median over {s.Rounds} round(s) of 1 − ON/OFF, with {s.WindowSeconds} s windows after a {s.WarmupSeconds} s warm-up; spread is the lowest and highest round. Start and stop are outside the windows; profiler CPU is the profiler's own processes during the ON window (none for self, where the profiler is the target), in % of one core. Other load is what processes outside the bench used of the machine meanwhile: above a few percent the figures are noise.\n\n");
        text.Append("| workload (OFF throughput) | profiler | cost | spread | start | stop | profiler CPU | samples / output |\n");
        text.Append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var scenario in overhead.Scenarios)
        {
            var label = scenario.Baseline is { } baseline ? $"{scenario.Name} ({Count(baseline)} {scenario.Unit}{(scenario.OtherLoad is { } other ? $"; other load {Percent(other)}" : "")})" : scenario.Name;
            if (scenario.Error is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {label} | | failed: {Cell(scenario.Error)} | | | | | |\n");
                continue;
            }
            foreach (var tool in scenario.Tools)
            {
                var cost = tool.Error is not null && tool.Rounds.Count == 0 ? Cell(tool.Error) : Percent(tool.CostMedian);
                var spread = tool.CostMin is { } min && tool.CostMax is { } max ? $"{Percent(min)} to {Percent(max)}" : "";
                var output = string.Join("; ", new[]
                {
                    tool.Samples is { } n ? $"{n} samples" : null,
                    tool.OutputBytes is { } b ? Bytes(b) : null,
                    tool.Error is { } error && tool.Rounds.Count > 0 ? $"a later round failed: {Cell(error)}" : null,
                }.OfType<string>());
                text.Append(CultureInfo.InvariantCulture, $"| {label} | {tool.Tool} | {cost} | {spread} | {Millis(tool.StartMs)} | {Millis(tool.StopMs)} | {Percent(tool.ProfilerCpu)} | {output} |\n");
                label = "";
            }
            if (scenario.Note is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"| | note: {Cell(scenario.Note)} | | | | | | |\n");
            }
        }
        text.Append('\n');
    }

    private static void ProcessingTables(StringBuilder text, ProcessingResults processing)
    {
        text.Append("### Processing\n\nBenchmarkDotNet (in process, the real plugins) on synthetic .NET-like profiles: mean time per operation and bytes allocated.\n\n");
        var bySize = processing.Operations.GroupBy(o => o.Size.Split(' ')[1]).ToArray();
        foreach (var group in bySize)
        {
            var sizes = group.Select(o => o.Size).Distinct().ToArray();
            text.Append(CultureInfo.InvariantCulture, $"| operation | {string.Join(" | ", sizes.Select(SizeLabel))} |\n| --- |{string.Concat(sizes.Select(_ => " ---: |"))}\n");
            foreach (var operation in group.GroupBy(o => o.Operation))
            {
                text.Append(CultureInfo.InvariantCulture, $"| {operation.Key} |");
                foreach (var size in sizes)
                {
                    var result = operation.FirstOrDefault(o => o.Size == size);
                    text.Append(result is null ? " |" : $" {Millis(result.MeanMs)} ({Bytes(result.AllocatedBytes ?? 0)}) |");
                }
                text.Append('\n');
            }
            text.Append('\n');
        }
        foreach (var profile in processing.Profiles)
        {
            text.Append(CultureInfo.InvariantCulture, $"- {SizeLabel($"{profile.Stacks} stacks")}: {Count(profile.Samples)} samples, {Count(profile.Frames)} distinct frames, mean depth {profile.MeanDepth.ToString("0.#", Invariant)}\n");
        }
        if (processing.Transforms is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"- Typical transforms: {processing.Transforms}\n");
        }
        foreach (var skipped in processing.Skipped)
        {
            text.Append(CultureInfo.InvariantCulture, $"- Skipped, {skipped.Operation}: {skipped.Reason}\n");
        }
        if (processing.StopToPage is { } stop)
        {
            text.Append(CultureInfo.InvariantCulture, $"- Stop to page, end to end (POST /api/profiler/stop after a {stop.SessionSeconds} s cpu session on the {stop.Target}): {string.Join(", ", stop.StopMs.Select(ms => Millis(ms)))} for {string.Join(", ", stop.Samples)} samples\n");
        }
        if (processing.StopToPageError is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"- Stop to page failed: {Cell(processing.StopToPageError)}\n");
        }
        text.Append('\n');
    }

    private static void PageTable(StringBuilder text, PageResults page)
    {
        text.Append(CultureInfo.InvariantCulture, $"### Page\n\nThe flamegraph page against the folded text it comes from, and the time from navigation start to the end of its first draw in {page.Browser}, median of the loads (min to max).\n\n");
        text.Append("| profile | folded text (gzip) | HTML page (gzip) | page / text | render | first draw | JS heap |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var p in page.Pages)
        {
            var draw = p.Error is not null ? $"failed: {Cell(p.Error)}" : $"{Millis(p.DrawnMs)} ({Millis(p.DrawnMinMs)} to {Millis(p.DrawnMaxMs)})";
            text.Append(CultureInfo.InvariantCulture, $"| {SizeLabel($"{p.Stacks} stacks")}, {Count(p.Samples)} samples{(p.Transforms is null ? "" : ", typical transforms")} | {Bytes(p.FoldedBytes)} ({Bytes(p.FoldedGzipBytes)}) | {Bytes(p.HtmlBytes)} ({Bytes(p.HtmlGzipBytes)}) | {(double)p.HtmlBytes / p.FoldedBytes:0.00} | {Millis(p.RenderMs)} | {draw} | {(p.JsHeapBytes is { } heap ? Bytes(heap) : "")} |\n");
        }
        text.Append('\n');
    }

    private static void AccuracyTable(StringBuilder text, AccuracyResults accuracy)
    {
        text.Append(CultureInfo.InvariantCulture, $"### Accuracy on a service\n\n{accuracy.Target}, each sampler for {accuracy.WindowSeconds} s at its default rate while `perf record -a -g -F 499` records the same window. Whole: the share of samples whose stack starts at the thread's entry. Then the inclusive share of frames on every request's path (Pluggable / perf), and over the top 20 managed frames by perf's share, the most Pluggable's share falls below perf's (a walk that loses frames reads lower; perf loses a quarter of its stacks, so a whole walk reads higher).\n\n");
        var frames = AccuracyResults.KnownFrames.Select(f => f.Label).ToArray();
        text.Append(CultureInfo.InvariantCulture, $"| sampler | samples | whole | perf whole | {string.Join(" | ", frames)} | top 20: most below perf |\n");
        text.Append(CultureInfo.InvariantCulture, $"| --- | ---: | ---: | ---: | {string.Join(" | ", frames.Select(_ => "---:"))} | ---: |\n");
        foreach (var row in accuracy.Rows)
        {
            if (row.Error is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {row.Sampler} | failed: {Cell(row.Error)} |{string.Concat(Enumerable.Repeat(" |", frames.Length + 3))}\n");
                continue;
            }
            var shares = string.Join(" | ", row.Shares.Select(s => $"{Percent(100 * s.Ours)} / {Percent(100 * s.Perf)}"));
            var shortfall = row.WorstShortfall <= 0 ? "never below" : $"{(100 * row.WorstShortfall).ToString("0.0", Invariant)} points";
            text.Append(CultureInfo.InvariantCulture, $"| {row.Sampler} | {row.Samples} | {Percent(100 * row.WholeShare)} | {Percent(100 * row.PerfWholeShare)} ({row.PerfSamples} samples) | {shares} | {shortfall} |\n");
        }
        if (accuracy.Error is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nStopped early: {Cell(accuracy.Error)}\n");
        }
        text.Append('\n');
    }

    private static void FootprintTable(StringBuilder text, FootprintResults footprint)
    {
        text.Append(CultureInfo.InvariantCulture, $"### Host footprint\n\nThe standalone host attached by pid to the {footprint.Target}: its CPU over each phase (with the helper processes it starts), and its memory at the end of it.\n\n");
        text.Append("| phase | host CPU | RSS | own (RssAnon) | PSS | GC heap | GC committed | stop |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        foreach (var p in footprint.Phases)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {p.Phase} ({p.Seconds.ToString("0.#", Invariant)} s) | {Percent(p.CpuPercent)} | {Bytes(p.RssBytes)} | {Bytes(p.AnonymousRssBytes)} | {Bytes(p.PssBytes)} | {Bytes(p.GcHeapBytes)} | {Bytes(p.GcCommittedBytes)} | {(p.StopMs is { } stop ? $"{Millis(stop)}, {p.Samples} samples" : "")} |\n");
        }
        if (footprint.PeakRssBytes is { } peak)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nPeak RSS over the whole run (VmHWM): {Bytes(peak)}.\n");
        }
        if (footprint.Error is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nFailed: {Cell(footprint.Error)}\n");
        }
        text.Append('\n');
    }

    private static string SizeLabel(string size)
    {
        var parts = size.Split(' ');
        return long.TryParse(parts[0], Invariant, out var n) ? $"{Count(n)} {parts[1]}" : size;
    }

    private static string Count(double value) => value switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.##", Invariant) + "M",
        >= 10_000 => (value / 1_000).ToString("0.#", Invariant) + "k",
        >= 100 => value.ToString("0", Invariant),
        _ => value.ToString("0.#", Invariant),
    };

    private static string Percent(double? value) => value is { } v ? v.ToString("0.0", Invariant) + "%" : "";

    private static string Millis(double? ms) => ms switch
    {
        null => "",
        >= 1000 => (ms.Value / 1000).ToString("0.00", Invariant) + " s",
        >= 10 => ms.Value.ToString("0", Invariant) + " ms",
        _ => ms.Value.ToString("0.0#", Invariant) + " ms",
    };

    private static string Bytes(long? bytes) => bytes switch
    {
        null => "",
        >= 1 << 30 => (bytes.Value / (double)(1 << 30)).ToString("0.00", Invariant) + " GB",
        >= 1 << 20 => (bytes.Value / (double)(1 << 20)).ToString("0.0", Invariant) + " MB",
        >= 1 << 10 => (bytes.Value / 1024.0).ToString("0", Invariant) + " KB",
        _ => bytes.Value.ToString(Invariant) + " B",
    };

    /// <summary>Text safe inside a table cell: one line, no pipes.</summary>
    private static string Cell(string text)
    {
        var line = text.ReplaceLineEndings(" ").Replace("|", "/", StringComparison.Ordinal);
        return line.Length <= 160 ? line : line[..160] + "…";
    }
}
