using System.Diagnostics;
using System.Globalization;
using Pluggable.Bench.Infrastructure;
using Pluggable.Bench.Workloads;
using Pluggable.Fixtures;

namespace Pluggable.Bench.Overhead;

/// <summary>A count of work done, and when it was read (a <see cref="Stopwatch"/> timestamp).</summary>
internal readonly record struct CounterReading(long Count, long Timestamp);

/// <summary>A process doing measurable work: what the profilers are attached to, and its throughput counter.</summary>
internal interface IThroughputTarget : IAsyncDisposable
{
    int Pid { get; }

    /// <summary>What the counter counts, per second: "iterations/s", "requests/s".</summary>
    string Unit { get; }

    /// <summary>A fresh reading of the counter.</summary>
    Task<CounterReading> ReadAsync(CancellationToken cancellationToken);
}

internal static class Throughput
{
    /// <summary>The target's throughput over a window of about <paramref name="window"/>, measured between two fresh readings.</summary>
    public static async Task<double> MeasureAsync(IThroughputTarget target, TimeSpan window, CancellationToken cancellationToken)
    {
        var first = await target.ReadAsync(cancellationToken);
        await Task.Delay(window, cancellationToken);
        var last = await target.ReadAsync(cancellationToken);
        return (last.Count - first.Count) / Stopwatch.GetElapsedTime(first.Timestamp, last.Timestamp).TotalSeconds;
    }
}

/// <summary>
/// A workload in its own process that prints <c>ready &lt;pid&gt;</c> and then a counters line every 100 ms
/// (<c>iterations=N ...</c>) until its standard input closes: the fixture (tests/Fixtures/Workload), or the bench's
/// own mixed workload. A reading is the next line's iteration count, timed when it arrived.
/// </summary>
internal sealed class CountingProcess : IThroughputTarget
{
    private readonly Lock _lock = new();
    private TaskCompletionSource<CounterReading> _next = NewReading();
    private ChildProcess? _process;

    public int Pid { get; private set; }

    /// <summary>The words of its "ready" line after the pid (the shop's address).</summary>
    public IReadOnlyList<string> Ready { get; private set; } = [];

    public string Unit => "iterations/s";

    public static async Task<CountingProcess> StartAsync(string name, IEnumerable<string> dotnetArguments, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var target = new CountingProcess();
        target._process = ChildProcess.Start(name, "dotnet", dotnetArguments, target.Received, environment);
        try
        {
            var ready = await target._process.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "'ready <pid>'");
            target.Pid = int.Parse(ready.Split(' ')[1], CultureInfo.InvariantCulture);
            target.Ready = ready.Split(' ').Skip(2).ToArray();
            await target.ReadAsync(cancellationToken);
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
        return target;
    }

    public async Task<CounterReading> ReadAsync(CancellationToken cancellationToken)
    {
        Task<CounterReading> next;
        lock (_lock)
        {
            next = _next.Task;
        }
        try
        {
            return await next.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{_process!.Name} printed no counters for 10 s{(_process.HasExited ? " and exited" : "")}. Its last lines:\n{_process.RecentOutput}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
    }

    private static TaskCompletionSource<CounterReading> NewReading() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Received(string line)
    {
        if (!line.StartsWith("iterations=", StringComparison.Ordinal))
        {
            return;
        }
        var value = line.AsSpan("iterations=".Length);
        var count = long.Parse(value[..(value.IndexOf(' ') is var end and >= 0 ? end : value.Length)], CultureInfo.InvariantCulture);
        TaskCompletionSource<CounterReading> arrived;
        lock (_lock)
        {
            arrived = _next;
            _next = NewReading();
        }
        arrived.SetResult(new CounterReading(count, Stopwatch.GetTimestamp()));
    }
}

/// <summary>A fixture workload running in the harness's own process, for the host profiling itself.</summary>
internal sealed class InProcessWorkload(RunningWorkload workload) : IThroughputTarget
{
    public int Pid => Environment.ProcessId;

    public string Unit => "iterations/s";

    public Task<CounterReading> ReadAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new CounterReading(Interlocked.Read(ref workload.Counters.Iterations), Stopwatch.GetTimestamp()));

    public ValueTask DisposeAsync()
    {
        workload.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The bench's ASP.NET Core service (<see cref="ServiceWorkload"/>) in its own process, loaded from the harness by a
/// fixed number of request loops on loopback; its throughput is the requests they complete per second.
/// </summary>
internal sealed class LoadedService : IThroughputTarget
{
    /// <summary>A bound on the load however the harness ends: it never outlives a full run.</summary>
    private static readonly TimeSpan MaxLoadDuration = TimeSpan.FromMinutes(30);

    private readonly CancellationTokenSource _stop = new(MaxLoadDuration);
    private readonly ChildProcess _process;
    private readonly HttpClient _client;
    private Task[] _loops = [];
    private long _completed;
    private long _failed;

    private LoadedService(ChildProcess process, int pid, Uri address, int concurrency)
    {
        _process = process;
        Pid = pid;
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Pid { get; }

    public string Unit => "requests/s";

    public long Failed => Interlocked.Read(ref _failed);

    public static async Task<LoadedService> StartAsync(string harnessAssembly, int concurrency)
    {
        var process = ChildProcess.Start("service workload", "dotnet", [harnessAssembly, "workload", ServiceWorkload.Name]);
        try
        {
            var ready = (await process.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "'ready <pid> <address>'")).Split(' ');
            var service = new LoadedService(process, int.Parse(ready[1], CultureInfo.InvariantCulture), new Uri(ready[2]), concurrency);
            service._loops = Enumerable.Range(0, concurrency).Select(i => Task.Run(() => service.LoadAsync(ServiceWorkload.Endpoints[i % ServiceWorkload.Endpoints.Count]))).ToArray();
            return service;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public Task<CounterReading> ReadAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new CounterReading(Interlocked.Read(ref _completed), Stopwatch.GetTimestamp()));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _client.Dispose();
        await _process.DisposeAsync();
        _stop.Dispose();
    }

    private async Task LoadAsync(string path)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await _client.GetAsync(path, _stop.Token);
                await response.Content.CopyToAsync(Stream.Null, _stop.Token);
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref _completed : ref _failed);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref _failed);
                await Task.Delay(100, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
