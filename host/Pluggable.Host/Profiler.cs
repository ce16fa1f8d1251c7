using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Store;
using Pluggable.Host.Engine;

namespace Pluggable.Host;

/// <summary>
/// Profiling from code: what the web page does (start, stop, a profiled block, re-render, compare, list, delete,
/// default options), on the same engine, store and defaults. A profile started here shows as running on the page and
/// can be stopped there, and the reverse; ids are shared.
/// </summary>
/// <example>
/// <code>
/// await using var profiler = Profiler.Create(new ProfilerHostOptions { ResultsFolder = "profiles" });
/// var profile = await profiler.ProfileAsync("cpu", async () => await RunTheSlowPartAsync());
/// Console.WriteLine($"profile {profile.Id}: {profile.Samples} samples, page {profile.Files[1].Name}");
/// </code>
/// </example>
public sealed class Profiler : IAsyncDisposable
{
    private readonly bool _ownsEngine;

    private Profiler(ProfilerEngine engine, bool ownsEngine)
    {
        Engine = engine;
        _ownsEngine = ownsEngine;
    }

    /// <summary>The engine this profiler drives, shared with a server when it came from one.</summary>
    public ProfilerEngine Engine { get; }

    /// <summary>
    /// The default options every command (from here, the page or the API) is merged over, as their file holds them.
    /// Setting them validates them against the loaded plugins first (an unknown event type or transform, a bad regex
    /// throws <see cref="ProfilerException"/> and changes nothing), then saves them to the defaults file.
    /// </summary>
    public JObject DefaultOptions
    {
        get => Engine.FileDefaults;
        set => Engine.ReplaceDefaults(value);
    }

    /// <summary>Whether a session runs, which, and since when.</summary>
    public ProfilerStatus Status => Engine.Status;

    /// <summary>A profiler of its own: loads the plugins and the defaults the options name, without serving any page.</summary>
    /// <exception cref="HostConfigurationException">The options cannot be used (a bad options file, a target that does not run).</exception>
    public static Profiler Create(ProfilerHostOptions options, ILoggerFactory? loggerFactory = null) =>
        new(ProfilerServer.CreateEngine(options, loggerFactory ?? LoggerFactory.Create(_ => { })), ownsEngine: true);

    /// <summary>A profiler over an engine that also serves a page (see <see cref="RunningProfilerServer.Profiler"/>).</summary>
    public static Profiler For(ProfilerEngine engine) => new(engine, ownsEngine: false);

    /// <summary>Starts a session.</summary>
    /// <param name="eventType">The event type; null for the default (the options' <c>event</c>, else cpu when available).</param>
    /// <param name="options">Options merged over the defaults for this session, or null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="ProfilerException">Kind <see cref="ProfilerErrorKind.AlreadyRunning"/> when a session runs; <see cref="ProfilerErrorKind.InvalidRequest"/> for an unknown or unavailable event type or bad options.</exception>
    public Task<ProfilerStatus> StartAsync(string? eventType = null, JObject? options = null, CancellationToken cancellationToken = default) =>
        Engine.StartAsync(eventType, options, cancellationToken);

    /// <summary>Stops the running session, stores its raw profile and renders its flamegraph.</summary>
    /// <exception cref="ProfilerException">Kind <see cref="ProfilerErrorKind.NotRunning"/> when no session runs.</exception>
    public Task<StopResult> StopAsync(CancellationToken cancellationToken = default) => Engine.StopAsync(cancellationToken);

    /// <summary>
    /// Profiles a block of work: starts, runs <paramref name="work"/>, stops, even when the work throws. The profile is
    /// stored either way; an exception from the work is rethrown after the stop.
    /// </summary>
    public async Task<StopResult> ProfileAsync(string eventType, Func<Task> work, JObject? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        await Engine.StartAsync(eventType, options, cancellationToken);
        try
        {
            await work();
        }
        catch
        {
            await Engine.StopAsync(CancellationToken.None);
            throw;
        }
        return await Engine.StopAsync(cancellationToken);
    }

    /// <summary>Renders a stored profile again (with other options, e.g. transforms, or another renderer such as <c>pprof</c>).</summary>
    /// <exception cref="ProfilerException">Kind <see cref="ProfilerErrorKind.NotFound"/> for an unknown id.</exception>
    public Task<StoredFile> GenerateFlamegraphAsync(int id, JObject? options = null, string? renderer = null, CancellationToken cancellationToken = default) =>
        Engine.RenderAsync(id, options, renderer, cancellationToken);

    /// <summary>Renders a comparison of two stored profiles of the same unit.</summary>
    public Task<StoredFile> GenerateDiffgraphAsync(int before, int after, JObject? options = null, string? renderer = null, CancellationToken cancellationToken = default) =>
        Engine.DiffAsync(before, after, options, renderer, cancellationToken);

    /// <summary>Every stored file, newest first.</summary>
    public IReadOnlyList<StoredFile> ListProfiles() => Engine.Store.List();

    /// <summary>Deletes every stored file; returns how many.</summary>
    public int DeleteAll() => Engine.Store.DeleteAll();

    public async ValueTask DisposeAsync()
    {
        if (_ownsEngine)
        {
            await Engine.DisposeAsync();
        }
    }
}
