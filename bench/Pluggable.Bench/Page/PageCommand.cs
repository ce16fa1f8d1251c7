using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Playwright;
using Newtonsoft.Json.Linq;
using Pluggable.Bench.Infrastructure;
using Pluggable.Bench.Processing;
using Pluggable.Bench.Reporting;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Bench.Page;

public sealed record PageResults(RunInfo Run, string Browser, IReadOnlyList<PageResult> Pages)
{
    public const string FileName = "page.json";
}

/// <param name="Stacks">The profile's distinct stacks.</param>
/// <param name="Samples">Its samples.</param>
/// <param name="FoldedBytes">The raw text the store keeps.</param>
/// <param name="FoldedGzipBytes">The raw text gzipped, as a browser or a proxy would transfer it.</param>
/// <param name="HtmlBytes">The flamegraph page rendered from it.</param>
/// <param name="HtmlGzipBytes">The page gzipped.</param>
/// <param name="RenderMs">One render of the page, in this process (the processing figures time it properly).</param>
/// <param name="DrawnMs">Median, over loads, of the time from navigation start to the end of the page's first draw.</param>
/// <param name="DrawnMinMs">The fastest load.</param>
/// <param name="DrawnMaxMs">The slowest load.</param>
/// <param name="PaintedPixels">Pixels the first draw painted in the canvas's top 200 rows: proof that it drew.</param>
/// <param name="JsHeapBytes">The page's JavaScript heap after the first draw.</param>
/// <param name="Nodes">The flamegraph's node count, as the page reports it.</param>
/// <param name="Error">Why the page could not be measured, if it could not.</param>
/// <param name="Transforms">The transforms the page was rendered with (and draws first), if any.</param>
public sealed record PageResult(
    int Stacks, long Samples, long FoldedBytes, long FoldedGzipBytes, long HtmlBytes, long HtmlGzipBytes, double RenderMs,
    double? DrawnMs, double? DrawnMinMs, double? DrawnMaxMs, long? PaintedPixels, long? JsHeapBytes, long? Nodes, string? Error,
    string? Transforms = null);

/// <summary>
/// The flamegraph page: its size against the folded text it came from, and how long Debian's Chromium (headless, driven
/// by Playwright) takes from navigation start to the page's first draw, for each profile size.
/// </summary>
internal sealed class PageCommand(ResultFiles results, int loads)
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>
    /// Run before the page's scripts: the page sets <c>window.flamegraph</c> and then draws, in one script, so a microtask
    /// queued when it is set runs right after that first draw. Its time is on the page's clock, whose zero is navigation start.
    /// </summary>
    private const string RecordFirstDraw = """
        (() => {
          let value;
          Object.defineProperty(window, "flamegraph", {
            configurable: true,
            get() { return value; },
            set(v) { value = v; queueMicrotask(() => { window.__benchDrawnAt = performance.now(); }); },
          });
        })();
        """;

    private const string ReadFirstDraw = """
        () => {
          const canvas = document.querySelector("canvas");
          let painted = 0;
          if (canvas && canvas.width > 0 && canvas.height > 0) {
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, Math.min(canvas.height, 200)).data;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
          }
          return {
            drawnAt: window.__benchDrawnAt,
            painted,
            heap: performance.memory ? performance.memory.usedJSHeapSize : null,
            nodes: window.flamegraph && window.flamegraph.nodeCount,
          };
        }
        """;

    public async Task<int> RunAsync(RunInfo run, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateDirectory(results.PathOf("pages")).FullName;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--enable-precise-memory-info"],
        });
        var pages = new List<PageResult>();
        foreach (var size in ProcessingInputs.Sizes)
        {
            pages.Add(await MeasureAsync(browser, folder, size, null, cancellationToken));
        }
        // With default transforms the page draws the tree the host transformed, and applies them itself only when the user changes them.
        if (ProcessingInputs.Transforms is { Pipeline: not null } typical)
        {
            pages.Add(await MeasureAsync(browser, folder, ProcessingInputs.Sizes[^1], typical, cancellationToken));
        }
        results.Write(PageResults.FileName, new PageResults(run, $"Chromium {browser.Version} (headless, {Chromium})", pages));
        return pages.All(p => p.Error is null) ? 0 : 1;
    }

    private async Task<PageResult> MeasureAsync(IBrowser browser, string folder, ProfileSize size, ServedTransforms? transforms, CancellationToken cancellationToken)
    {
        var label = transforms is null ? "" : ", with transforms";
        Console.WriteLine($"page: {size.Stacks} stacks{label}, {loads} load(s)");
        var profile = ProcessingInputs.Profile(size.Stacks);
        var html = Path.Combine(folder, $"{size.Stacks}-stacks{(transforms is null ? "" : "-transformed")}-flamegraph.html");
        // The folded text is only measured: at 200k stacks it is hundreds of megabytes.
        var (foldedBytes, foldedGzipBytes) = await SizesAsync((stream, ct) => FoldedFormat.WriteAsync(profile, stream, ct), cancellationToken);
        var clock = Stopwatch.StartNew();
        var request = transforms is { Pipeline: { } pipeline }
            ? new RenderRequest([pipeline.Apply(profile)], transforms.Specs, new JObject()) { Untransformed = [profile] }
            : new RenderRequest([profile], new JArray(), new JObject());
        await using (var page = File.Create(html))
        {
            await ProcessingInputs.Flamegraph.RenderAsync(request, page, cancellationToken);
        }
        var renderMs = clock.Elapsed.TotalMilliseconds;

        var draws = new List<JsonElement>();
        string? error = null;
        for (var i = 0; i < loads && error is null; i++)
        {
            try
            {
                draws.Add(await LoadAsync(browser, html));
            }
            catch (Exception e) when (e is PlaywrightException or TimeoutException)
            {
                error = e.Message.Split('\n')[0];
            }
        }
        var drawn = draws.Select(d => d.GetProperty("drawnAt").GetDouble()).ToArray();
        var last = draws.Count > 0 ? draws[^1] : (JsonElement?)null;
        return new PageResult(
            size.Stacks, size.Samples, foldedBytes, foldedGzipBytes, new FileInfo(html).Length, await GzipSizeAsync(html, cancellationToken), renderMs,
            Statistics.Median(drawn), drawn.Length > 0 ? drawn.Min() : null, drawn.Length > 0 ? drawn.Max() : null,
            last?.GetProperty("painted").GetInt64(),
            last?.GetProperty("heap") is { ValueKind: JsonValueKind.Number } heap ? heap.GetInt64() : null,
            last?.GetProperty("nodes") is { ValueKind: JsonValueKind.Number } nodes ? nodes.GetInt64() : null,
            error, transforms?.Names);
    }

    /// <summary>Opens the page in a fresh context (no cache) and waits for its first draw.</summary>
    private static async Task<JsonElement> LoadAsync(IBrowser browser, string file)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.AddInitScriptAsync(RecordFirstDraw);
        await page.GotoAsync(new Uri(file).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Commit, Timeout = 120_000 });
        await page.WaitForFunctionAsync("() => window.__benchDrawnAt !== undefined", null, new PageWaitForFunctionOptions { Timeout = 120_000, PollingInterval = 20 });
        return await page.EvaluateAsync<JsonElement>(ReadFirstDraw);
    }

    private static async Task<long> GzipSizeAsync(string file, CancellationToken cancellationToken)
    {
        await using var input = File.OpenRead(file);
        return (await SizesAsync((stream, ct) => input.CopyToAsync(stream, ct), cancellationToken)).Gzip;
    }

    /// <summary>The size of what <paramref name="write"/> writes, plain and gzipped, without keeping it.</summary>
    private static async Task<(long Plain, long Gzip)> SizesAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var compressed = new CountingStream();
        var plain = new CountingStream(new GZipStream(compressed, CompressionLevel.Optimal));
        await using (plain)
        {
            await write(plain, cancellationToken);
        }
        return (plain.Length, compressed.Length);
    }

    /// <summary>A write-only stream that counts what is written and passes it on to <paramref name="next"/>, if any.</summary>
    private sealed class CountingStream(Stream? next = null) : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _length += buffer.Length;
            next?.Write(buffer);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush() => next?.Flush();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                next?.Dispose();
            }
            base.Dispose(disposing);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
