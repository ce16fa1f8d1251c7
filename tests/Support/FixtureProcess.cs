using System.Diagnostics;
using System.Globalization;

namespace Pluggable.Testing;

/// <summary>
/// A fixture (a workload of tests/Fixtures/Workload, or the shop service) running as its own process, for profiling
/// by pid. It prints "ready &lt;pid&gt; ..." once running and its counters every 100 ms; <see cref="Counter"/> reads
/// the latest. Closing its stdin ends it.
/// </summary>
public sealed class FixtureProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private Dictionary<string, long> _latest = [];

    private FixtureProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>The words of its "ready" line after the pid (the shop's address).</summary>
    public IReadOnlyList<string> Ready { get; private set; } = [];

    public static string WorkloadAssembly => Path.Combine(AppContext.BaseDirectory, "Pluggable.Fixtures.Workload.dll");

    /// <summary>Where the runtime writes its perf map when it is on.</summary>
    public string PerfMapPath => $"/tmp/perf-{Pid}.map";

    /// <summary>Whether the runtime holds its perf map open, as it does from the moment the map is turned on until it is turned off.</summary>
    public bool WritesPerfMap =>
        Directory.EnumerateFiles($"/proc/{Pid}/fd").Any(fd => new FileInfo(fd).LinkTarget?.StartsWith(PerfMapPath, StringComparison.Ordinal) == true);

    /// <summary>Starts a workload and waits until it runs.</summary>
    public static Task<FixtureProcess> StartAsync(string workload, int threads = 1) =>
        StartAsync(WorkloadAssembly, [workload, threads.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Starts a fixture assembly with arguments (and environment variables) and waits until it runs.</summary>
    /// <param name="assembly">The fixture's assembly.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="environment">Variables to set for it.</param>
    /// <param name="commandPrefix">A command that runs it in its place, by exec, so its pid stays the fixture's (e.g. <see cref="UnprivilegedUser.Prefix"/>).</param>
    public static async Task<FixtureProcess> StartAsync(string assembly, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? commandPrefix = null)
    {
        var workload = string.Join(' ', arguments);
        var command = (commandPrefix ?? []).Append("dotnet").ToArray();
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var word in command.Skip(1))
        {
            start.ArgumentList.Add(word);
        }
        start.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the fixture {assembly}");
        var fixture = new FixtureProcess(process);
        var ready = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            if (e.Data.StartsWith("ready ", StringComparison.Ordinal))
            {
                fixture.Ready = e.Data.Split(' ').Skip(2).ToArray();
                ready.TrySetResult();
            }
            else if (e.Data.StartsWith("iterations=", StringComparison.Ordinal))
            {
                var counters = e.Data.Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
                lock (fixture._lock)
                {
                    fixture._latest = counters;
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
        {
            await fixture.DisposeAsync();
            throw new TimeoutException($"the fixture '{Path.GetFileName(assembly)} {workload}' did not start within 30 s");
        }
        // The runtime's diagnostics socket appears during start-up; give it a moment to be published.
        await Task.Delay(300);
        return fixture;
    }

    /// <summary>The latest value the workload printed for a counter (iterations, large, small, waited, exceptions).</summary>
    public long Counter(string name)
    {
        lock (_lock)
        {
            return _latest.GetValueOrDefault(name);
        }
    }

    /// <summary>Waits for the next counters line, so a read after it reflects the work done until now.</summary>
    public async Task<long> FreshCounterAsync(string name)
    {
        var before = Counter("iterations");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Counter("iterations") == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        return Counter(name);
    }

    /// <summary>The CPU time its threads have used so far (utime + stime of /proc/&lt;pid&gt;/stat, in the kernel's fixed 100 Hz ticks).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var fields = stat[(stat.LastIndexOf(") ", StringComparison.Ordinal) + 2)..].Split(' ');
            // After the comm, the state is field 3: utime and stime, fields 14 and 15, are at 11 and 12 here.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
