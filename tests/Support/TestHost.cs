using System.Net.Http.Headers;
using System.Text;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Core.Store;
using Pluggable.Host;
using Pluggable.Host.Engine;
using Pluggable.Host.Targets;

namespace Pluggable.Testing;

/// <summary>A real host on Kestrel at a free loopback port, with a temporary results folder, and an HTTP client for it.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly TempFolder? _results;
    private readonly RunningProfilerServer _server;

    private TestHost(RunningProfilerServer server, TempFolder? results, string resultsFolder)
    {
        ResultsFolder = resultsFolder;
        _server = server;
        _results = results;
        Client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(2) };
    }

    public HttpClient Client { get; }

    public Uri Address => _server.Address;

    public ProfilerEngine Engine => _server.Engine;

    public RunningProfilerServer Server => _server;

    /// <summary>The code API over the same engine.</summary>
    public Profiler Profiler => _server.Profiler;

    public string ResultsFolder { get; }

    /// <summary>Starts a host that loads plugins from folders, as the real one does.</summary>
    /// <param name="pluginFolders">Folders of plugin folders.</param>
    /// <param name="pid">The target; the test process when null.</param>
    /// <param name="optionsFile">The defaults file, as --options.</param>
    /// <param name="resultsFolder">A results folder that outlives the host (for restarts); a temporary one, deleted with the host, when null.</param>
    public static Task<TestHost> StartAsync(IEnumerable<string> pluginFolders, int? pid = null, string? optionsFile = null, string? resultsFolder = null) =>
        StartAsync(new ProfilerHostOptions { Pid = pid, OptionsFile = optionsFile, PluginFolders = pluginFolders.ToList() }, resultsFolder);

    /// <summary>Starts a host with these options, on a free port and (unless given) a temporary results folder.</summary>
    public static async Task<TestHost> StartAsync(ProfilerHostOptions options, string? resultsFolder = null, Action<ILoggingBuilder>? logging = null)
    {
        var results = resultsFolder is null ? new TempFolder("pluggable-results") : null;
        options.Port = 0;
        options.ResultsFolder = resultsFolder ?? results!.Path;
        return new TestHost(await ProfilerServer.StartAsync(options, logging ?? Quiet), results, options.ResultsFolder);
    }

    /// <summary>Starts a host whose plugins are given as instances (test doubles), targeting the test process.</summary>
    /// <param name="plugins">The plugin instances.</param>
    /// <param name="defaults">The defaults file's content.</param>
    /// <param name="maxResultsBytes">The results folder's size limit.</param>
    /// <param name="options">How the server listens; loopback when null.</param>
    /// <param name="port">The port to listen on; a free one when 0.</param>
    public static async Task<TestHost> StartAsync(IReadOnlyList<object> plugins, JObject? defaults = null, long maxResultsBytes = long.MaxValue, ProfilerHostOptions? options = null, int port = 0)
    {
        var results = new TempFolder("pluggable-results");
        var engine = CreateEngine(plugins, results.Path, defaults, maxResultsBytes);
        options ??= new ProfilerHostOptions();
        options.Port = port;
        options.ResultsFolder = results.Path;
        return new TestHost(await ProfilerServer.StartAsync(options, engine, Quiet), results, results.Path);
    }

    /// <summary>An engine over plugin instances (test doubles) and a results folder, targeting the test process.</summary>
    public static ProfilerEngine CreateEngine(IReadOnlyList<object> plugins, string resultsFolder, JObject? defaults = null, long maxResultsBytes = long.MaxValue)
    {
        var builder = new PluginRegistryBuilder();
        builder.AddLoaded("test-plugins", "1.0", "/test", plugins);
        return new ProfilerEngine(builder.Build(), new ProfileStore(resultsFolder, maxBytes: maxResultsBytes), TargetProcesses.Self(), defaults, LoggerFactory.Create(Quiet));
    }

    public static void Quiet(ILoggingBuilder logging) => logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole();

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) => Client.PostJsonAsync(path, json);

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body) => Client.PostJsonAsync(path, body);

    /// <inheritdoc cref="ProfilerApi.PostOkAsync"/>
    public Task<JToken> PostOkAsync(string path, object body) => Client.PostOkAsync(path, body);

    public Task<JToken> GetJsonAsync(string path) => Client.GetJsonAsync(path);

    /// <inheritdoc cref="ProfilerApi.ProfileAsync"/>
    public Task<JToken> ProfileAsync(string eventType, TimeSpan duration, object? options = null) => Client.ProfileAsync(eventType, duration, options);

    /// <summary>The raw profile a stop response names, read back from the store; it must parse without errors.</summary>
    public async Task<StackProfile> ReadProfileAsync(JToken stopped)
    {
        var read = await Engine.Store.ReadProfileAsync(stopped["id"]!.ToObject<int>());
        read.Should().NotBeNull();
        read!.Errors.Should().BeEmpty();
        return read.Profile;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _server.DisposeAsync();
        _results?.Dispose();
    }
}

/// <summary>Request helpers for tests that need a raw request (headers, bodies) rather than the typed helpers.</summary>
public static class Requests
{
    public static HttpRequestMessage Json(HttpMethod method, string path, string json, string? origin = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        return request;
    }
}
