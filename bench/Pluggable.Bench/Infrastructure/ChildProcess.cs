using System.Collections.Concurrent;
using System.Diagnostics;

namespace Pluggable.Bench.Infrastructure;

/// <summary>
/// A process the harness started: its output lines (stdout and stderr) can be awaited and the last ones are kept for
/// error messages. Every one is registered so that the harness ends them all when it exits, however it exits.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 40;
    private static readonly ConcurrentDictionary<ChildProcess, bool> Running = new();

    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly Queue<string> _recent = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private readonly Action<string>? _onLine;

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    private ChildProcess(string name, Process process, Action<string>? onLine)
    {
        Name = name;
        _process = process;
        _onLine = onLine;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines it printed, for an error message.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _recent);
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/> with its standard streams redirected; <paramref name="onLine"/> sees every line it prints.</summary>
    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, Action<string>? onLine = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable] = value;
        }
        var process = new Process { StartInfo = start };
        var child = new ChildProcess(name, process, onLine);
        process.OutputDataReceived += (_, e) => child.Received(e.Data);
        process.ErrorDataReceived += (_, e) => child.Received(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {name} ({fileName})");
        }
        Running[child] = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a line that <paramref name="match"/> accepts, among those printed so far or later.</summary>
    /// <exception cref="TimeoutException">None came in time, or the process exited first; the message has its last lines.</exception>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_recent.FirstOrDefault(match) is { } already)
            {
                return already;
            }
            _waiters.Add((match, found));
        }
        using var timer = new CancellationTokenSource(timeout);
        var exited = _process.WaitForExitAsync(timer.Token);
        var first = await Task.WhenAny(found.Task, exited);
        if (first == found.Task)
        {
            return await found.Task;
        }
        var reason = _process.HasExited ? $"it exited with code {_process.ExitCode}" : $"nothing came within {timeout.TotalSeconds:0} s";
        throw new TimeoutException($"{Name} did not print {what}: {reason}. Its last lines:\n{RecentOutput}");
    }

    /// <summary>Asks it to stop as Ctrl+C would.</summary>
    public void Interrupt() => Libc.Signal(Pid, Libc.SigInt);

    /// <summary>True when it exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(timer.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes its standard input and sends SIGTERM (the workloads and the host stop on either), then kills what is left.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It is exiting already.
            }
            Libc.Signal(Pid, Libc.SigTerm);
            if (!await WaitForExitAsync(TimeSpan.FromSeconds(10)))
            {
                _process.Kill(entireProcessTree: true);
                await WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
        }
        Running.TryRemove(this, out _);
        _process.Dispose();
    }

    private static void KillAll()
    {
        foreach (var child in Running.Keys)
        {
            try
            {
                child._process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    private void Received(string? line)
    {
        if (line is null)
        {
            return;
        }
        _onLine?.Invoke(line);
        List<TaskCompletionSource<string>> matched = [];
        lock (_lock)
        {
            _recent.Enqueue(line);
            if (_recent.Count > KeptLines)
            {
                _recent.Dequeue();
            }
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(line))
                {
                    matched.Add(_waiters[i].Found);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var found in matched)
        {
            found.TrySetResult(line);
        }
    }
}
