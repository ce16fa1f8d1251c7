using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Bench.Infrastructure;
using Pluggable.Core.Profiles;
using Pluggable.Host;

namespace Pluggable.Bench.Overhead;

/// <summary>An event type the host offers, and why not when it cannot run.</summary>
internal sealed record EventAvailability(bool Available, string? Reason);

/// <summary>What a stop answered: the profile's sample count.</summary>
internal sealed record StopAnswer(long Samples, IReadOnlyList<string> Warnings);

/// <summary>
/// A running Pluggable host, driven through its HTTP API as the page drives it: the standalone CLI attached to another
/// process by pid, or the host library inside the harness profiling the harness itself.
/// </summary>
internal sealed partial class PluggableHost : IAsyncDisposable
{
    private readonly ChildProcess? _process;
    private readonly RunningProfilerServer? _server;
    private readonly string _resultsFolder;

    private PluggableHost(Uri address, string resultsFolder, ChildProcess? process, RunningProfilerServer? server)
    {
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(5) };
        _resultsFolder = resultsFolder;
        _process = process;
        _server = server;
    }

    public HttpClient Client { get; }

    /// <summary>The host's own process, whose CPU and memory are the profiler's; null when it runs inside the harness.</summary>
    public int? ProcessId => _process?.Pid;

    /// <summary>Starts <c>dotnet pluggable.dll --pid &lt;pid&gt; --port 0</c> and reads its address from its log.</summary>
    public static async Task<PluggableHost> StartByPidAsync(string cliAssembly, int targetPid)
    {
        var results = Directory.CreateTempSubdirectory("pluggable-bench-results-").FullName;
        var process = ChildProcess.Start("pluggable host", "dotnet", [cliAssembly, "--pid", targetPid.ToString(System.Globalization.CultureInfo.InvariantCulture), "--port", "0", "--results", results]);
        try
        {
            var line = await process.WaitForLineAsync(l => OpenLine().IsMatch(l), TimeSpan.FromSeconds(60), "'Open http://... in a browser'");
            return new PluggableHost(new Uri(OpenLine().Match(line).Groups[1].Value), results, process, null);
        }
        catch
        {
            await process.DisposeAsync();
            Directory.Delete(results, recursive: true);
            throw;
        }
    }

    /// <summary>Starts the host library in this process, profiling this process, with the plugins beside the harness.</summary>
    public static async Task<PluggableHost> StartInProcessAsync()
    {
        var results = Directory.CreateTempSubdirectory("pluggable-bench-results-").FullName;
        var options = new ProfilerHostOptions { Port = 0, ResultsFolder = results };
        var server = await ProfilerServer.StartAsync(options, logging => logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        return new PluggableHost(server.Address, results, null, server);
    }

    public async Task<IReadOnlyDictionary<string, EventAvailability>> EventTypesAsync(CancellationToken cancellationToken)
    {
        var types = JArray.Parse(await Client.GetStringAsync("/api/event-types", cancellationToken));
        return types.ToDictionary(t => (string)t["name"]!, t => new EventAvailability((bool)t["available"]!, (string?)t["reason"]));
    }

    /// <exception cref="ProfilerToolException">The host refused; the message is its error.</exception>
    public async Task StartAsync(string eventType, JObject options, CancellationToken cancellationToken) =>
        await PostAsync("/api/profiler/start", new JObject { ["event"] = eventType, ["options"] = options }, cancellationToken);

    public async Task<StopAnswer> StopAsync(CancellationToken cancellationToken)
    {
        var answer = await PostAsync("/api/profiler/stop", new JObject(), cancellationToken);
        return new StopAnswer((long)answer["samples"]!, answer["warnings"]?.Values<string>().OfType<string>().ToArray() ?? []);
    }

    /// <summary>The raw profile of the last stop, read back from the host's results folder.</summary>
    public StackProfile ReadLatestProfile()
    {
        var file = new DirectoryInfo(_resultsFolder).GetFiles("*.txt").MaxBy(f => f.LastWriteTimeUtc)
            ?? throw new InvalidOperationException($"no raw profile in {_resultsFolder}");
        using var reader = file.OpenText();
        return FoldedFormat.Read(reader).Profile;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        Directory.Delete(_resultsFolder, recursive: true);
    }

    private async Task<JObject> PostAsync(string path, JObject body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync(path, content, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = text.StartsWith('{') ? (string?)JObject.Parse(text)["error"] : null;
            throw new ProfilerToolException($"POST {path} answered {(int)response.StatusCode}: {error ?? text}");
        }
        return JObject.Parse(text);
    }

    [GeneratedRegex(@"Open (http://\S+?)/? in a browser")]
    private static partial Regex OpenLine();
}
