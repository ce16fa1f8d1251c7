using System.Diagnostics;

namespace Pluggable.Testing;

/// <summary>
/// The standalone host (the <c>pluggable</c> executable built beside the tests) as a process of its own, on a free
/// loopback port, with a client for it: for what only a separate process shows (another user's host, a killed host).
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output;

    private HostProcess(Process process, HttpClient client, Uri? loginUrl, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        Process = process;
        Client = client;
        LoginUrl = loginUrl;
        _output = output;
    }

    public Process Process { get; }

    public HttpClient Client { get; }

    /// <summary>The one-time login URL it printed, when it requires a token; null otherwise.</summary>
    public Uri? LoginUrl { get; }

    /// <summary>The lines it has written so far, stdout and stderr together.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>Starts the host with these arguments (and <c>--port 0</c>), and returns once it listens.</summary>
    /// <param name="arguments">Its command-line arguments.</param>
    /// <param name="commandPrefix">A command that runs it in its place (e.g. <see cref="UnprivilegedUser.Prefix"/>).</param>
    /// <param name="environment">Variables to set for it.</param>
    public static async Task<HostProcess> StartAsync(IReadOnlyList<string> arguments, IReadOnlyList<string>? commandPrefix = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var command = (commandPrefix ?? []).Concat(["dotnet", Path.Combine(AppContext.BaseDirectory, "pluggable.dll"), "--port", "0"]).Concat(arguments).ToArray();
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var word in command.Skip(1))
        {
            start.ArgumentList.Add(word);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start)!;
        // A host that requires a token prints its one-time login URL where another prints "Open <address>".
        var listening = new TaskCompletionSource<(Uri Address, Uri? LoginUrl)>();
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Remember(string? line)
        {
            if (line is null)
            {
                return;
            }
            output.Enqueue(line);
            if (line.IndexOf("Open http://", StringComparison.Ordinal) is >= 0 and var at)
            {
                listening.TrySetResult((new Uri(line[(at + "Open ".Length)..].Split(' ')[0]), null));
            }
            else if (line.IndexOf("Log in once at http://", StringComparison.Ordinal) is >= 0 and var loginAt)
            {
                var login = new Uri(line[(loginAt + "Log in once at ".Length)..].Split(' ')[0]);
                listening.TrySetResult((new Uri(login, "/"), login));
            }
        }
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(StartTimeout)) != listening.Task)
        {
            Kill(process);
            throw new InvalidOperationException($"the host did not start listening: {string.Join("\n", output)}");
        }
        var (address, loginUrl) = await listening.Task;
        return new HostProcess(process, new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) }, loginUrl, output);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Kill(Process);
        await Process.WaitForExitAsync();
        Process.Dispose();
    }

    private static void Kill(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}
