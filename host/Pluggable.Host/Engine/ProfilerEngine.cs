using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;
using Pluggable.Core.Store;

namespace Pluggable.Host.Engine;

/// <summary>
/// The one engine under the web UI, the HTTP API and the code API: at most one sampling session at a time, every
/// command's options merged over the defaults, every profile stored and rendered. Every plugin call is guarded: a
/// plugin that throws fails the command with a <see cref="ProfilerException"/> naming it, and the engine stays usable.
/// </summary>
/// <remarks>
/// A facade: the defaults (<see cref="ProfilerDefaults"/>), the event types (<see cref="EventTypeCatalog"/>), the
/// sessions (<see cref="SessionLifecycle"/>) and the rendering (<see cref="ProfileRendering"/>) are each a class of
/// their own; the engine merges a command's options and hands it to the one it is for.
/// </remarks>
public sealed class ProfilerEngine : IAsyncDisposable
{
    private readonly ProfilerDefaults _defaults;
    private readonly EventTypeCatalog _eventTypes;
    private readonly ProfileRendering _rendering;
    private readonly SessionLifecycle _sessions;

    /// <param name="registry">The loaded plugins.</param>
    /// <param name="store">The results folder.</param>
    /// <param name="target">The process every session samples.</param>
    /// <param name="fileDefaults">The defaults file's content, or null; invalid defaults throw <see cref="OptionsException"/>.</param>
    /// <param name="loggerFactory">For the engine's and the samplers' logs.</param>
    /// <param name="defaultsFile">Where <see cref="ReplaceDefaults"/> saves new defaults; null keeps them in memory only.</param>
    /// <param name="clock">For session times; the system clock when null.</param>
    /// <param name="overrides">Options that win over the defaults file, and that replacing the defaults keeps (the command line's); null for none.</param>
    public ProfilerEngine(PluginRegistry registry, ProfileStore store, TargetProcess target, JObject? fileDefaults, ILoggerFactory loggerFactory, OptionsFile? defaultsFile = null, TimeProvider? clock = null, JObject? overrides = null)
    {
        Registry = registry;
        Store = store;
        clock ??= TimeProvider.System;
        // One logger for all the pieces: they are the engine, and its log category stays what operators filter on.
        var logger = loggerFactory.CreateLogger<ProfilerEngine>();
        _defaults = new ProfilerDefaults(registry, fileDefaults, overrides, defaultsFile, logger);
        _eventTypes = new EventTypeCatalog(registry, logger);
        _rendering = new ProfileRendering(registry, store, logger);
        var keeper = new StoppedProfileKeeper(store, _rendering, registry, clock, logger);
        _sessions = new SessionLifecycle(target, _eventTypes, keeper, loggerFactory, clock, logger);
    }

    public PluginRegistry Registry { get; }

    public ProfileStore Store { get; }

    /// <summary>The process new sessions sample; <see cref="SwitchTargetAsync"/> changes it while idle.</summary>
    public TargetProcess Target => _sessions.Target;

    /// <summary>The effective defaults: the overrides over the defaults file over the built-in ones.</summary>
    public ProfilingOptions DefaultOptions => _defaults.Effective;

    /// <summary>The defaults as the file holds them (without the built-in layer).</summary>
    public JObject FileDefaults => _defaults.FileLayer;

    public ProfilerStatus Status => _sessions.Status;

    /// <summary>False once the target process has exited (the host profiling itself is always running).</summary>
    public bool TargetRunning => _sessions.TargetRunning;

    /// <summary>The options a command runs with: <paramref name="request"/> over the defaults, validated against the plugins.</summary>
    public ProfilingOptions EffectiveOptions(JObject? request) => _defaults.For(request);

    /// <summary>
    /// Replaces the defaults (the file's layer): validates them, saves them to the defaults file (the old one kept as
    /// <c>.bak</c>), then uses them for every command. Invalid options, and a defaults file that cannot be written, throw
    /// <see cref="ProfilerException"/> and change nothing.
    /// </summary>
    public ProfilingOptions ReplaceDefaults(JObject fileDefaults) => _defaults.Replace(fileDefaults);

    /// <summary>
    /// <see cref="ReplaceDefaults"/> for a request from the page or the API, which may not change <c>symbols</c>: it says
    /// which folders the host reads and writes and which server it calls, the operator's to set. Defaults without
    /// <c>symbols</c> keep the file's.
    /// </summary>
    public ProfilingOptions ReplaceDefaultsFromRequest(JObject fileDefaults) => _defaults.ReplaceFromRequest(fileDefaults);

    /// <summary>Every event type with its availability for the target, probed now, and which one a start without one runs.</summary>
    public IReadOnlyList<EventTypeStatus> EventTypes() => _eventTypes.List(Target, DefaultOptions.Event);

    /// <summary>
    /// The event type a command without one runs: the options' <c>event</c>, else the available one that declares the
    /// highest <see cref="EventTypeInfo.DefaultPriority"/>, the first loaded among equals.
    /// </summary>
    public string? DefaultEventType(ProfilingOptions options) => options.Event ?? _eventTypes.DefaultFor(Target);

    // Async, as every command is: bad options fault the returned task rather than throw from the call.
    public async Task<ProfilerStatus> StartAsync(string? eventType, JObject? options, CancellationToken cancellationToken = default)
    {
        var effective = EffectiveOptions(options);
        var name = eventType ?? DefaultEventType(effective)
            ?? throw new ProfilerException(ProfilerErrorKind.InvalidRequest, "no event type is available for this target; see GET /api/event-types for the reasons");
        return await _sessions.StartAsync(_eventTypes.Resolve(name, effective), effective, cancellationToken);
    }

    public Task<StopResult> StopAsync(CancellationToken cancellationToken = default) => _sessions.StopAsync(cancellationToken);

    /// <summary>
    /// Raised after every stop that stored its profile (by a request or at the time limit), on the stopping thread,
    /// before the stop returns; a handler must not throw.
    /// </summary>
    public event Action<StopResult>? Stopped
    {
        add => _sessions.Stopped += value;
        remove => _sessions.Stopped -= value;
    }

    /// <summary>Points new sessions at another process; refused (AlreadyRunning) while a session runs or is being stopped.</summary>
    public Task<ProfilerStatus> SwitchTargetAsync(TargetProcess target, CancellationToken cancellationToken = default) =>
        _sessions.SwitchTargetAsync(target, cancellationToken);

    /// <summary>Renders a stored profile again, with <paramref name="options"/> merged over the defaults, by the named renderer or else the page renderer.</summary>
    public async Task<StoredFile> RenderAsync(int id, JObject? options, string? renderer = null, CancellationToken cancellationToken = default) =>
        await _rendering.RenderStoredAsync(id, EffectiveOptions(options), renderer, cancellationToken);

    /// <summary>Renders a comparison of two stored profiles of the same unit, by the named renderer or else the diff renderer.</summary>
    public async Task<StoredFile> DiffAsync(int before, int after, JObject? options, string? renderer = null, CancellationToken cancellationToken = default) =>
        await _rendering.DiffStoredAsync(before, after, EffectiveOptions(options), renderer, cancellationToken);

    public ValueTask DisposeAsync() => _sessions.DisposeAsync();
}
