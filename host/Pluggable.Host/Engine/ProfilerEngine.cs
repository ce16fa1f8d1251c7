using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Core.Store;

namespace Pluggable.Host.Engine;

/// <summary>
/// The one engine under the web UI, the HTTP API and the code API: at most one sampling session at a time, every
/// command's options merged over the defaults, every profile stored and rendered. Every plugin call is guarded: a
/// plugin that throws fails the command with a <see cref="ProfilerException"/> naming it, and the engine stays usable.
/// </summary>
public sealed class ProfilerEngine : IAsyncDisposable
{
    /// <summary>The metadata property that marks a profile with too few samples to trust, and says what to do.</summary>
    public const string LowConfidenceProperty = "low-confidence";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly OptionsFile? _defaultsFile;
    private readonly Lock _defaultsLock = new();
    private readonly JObject? _overrides;
    private JObject _fileDefaults;
    private volatile RunningSession? _running;
    private volatile RunningSession? _stopping;
    private volatile StopResult? _lastStop;

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
        _overrides = overrides;
        _defaultsFile = defaultsFile;
        Registry = registry;
        Store = store;
        _target = target;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ProfilerEngine>();
        _clock = clock ?? TimeProvider.System;
        _fileDefaults = fileDefaults ?? new JObject();
        DefaultOptions = OptionsValidator.Validate(OptionsDocument.Merge(ProfilingOptions.BuiltIn, _fileDefaults, _overrides), registry);
    }

    public PluginRegistry Registry { get; }

    public ProfileStore Store { get; }

    private volatile TargetProcess _target;

    /// <summary>The process new sessions sample; <see cref="SwitchTargetAsync"/> changes it while idle.</summary>
    public TargetProcess Target => _target;

    /// <summary>The effective defaults: the overrides over the defaults file over the built-in ones.</summary>
    public ProfilingOptions DefaultOptions { get; private set; }

    public ProfilerStatus Status => (_running, _stopping) switch
    {
        ({ } running, _) => new ProfilerStatus(ProfilerStatus.Running, running.EventType.Info.Name, running.Since, Target, _lastStop) { TargetRunning = TargetRunning },
        (null, { } stopping) => new ProfilerStatus(ProfilerStatus.Stopping, stopping.EventType.Info.Name, stopping.Since, Target, _lastStop) { TargetRunning = TargetRunning },
        _ => new ProfilerStatus(ProfilerStatus.Idle, null, null, Target, _lastStop) { TargetRunning = TargetRunning },
    };

    /// <summary>False once the target process has exited (the host profiling itself is always running).</summary>
    public bool TargetRunning => Target.IsSelf || Directory.Exists($"/proc/{Target.Pid}");

    /// <summary>The options a command runs with: <paramref name="request"/> over the defaults, validated against the plugins.</summary>
    public ProfilingOptions EffectiveOptions(JObject? request)
    {
        if (request?["symbols"] is not null)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, SymbolsAreTheOperators);
        }
        try
        {
            return OptionsValidator.Validate(OptionsDocument.Merge(ProfilingOptions.BuiltIn, _fileDefaults, _overrides, request), Registry);
        }
        catch (OptionsException e)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, e.Message, e);
        }
    }

    /// <summary>
    /// Replaces the defaults (the file's layer): validates them, saves them to the defaults file (the old one kept as
    /// <c>.bak</c>), then uses them for every command. Invalid options, and a defaults file that cannot be written, throw
    /// <see cref="ProfilerException"/> and change nothing.
    /// </summary>
    public ProfilingOptions ReplaceDefaults(JObject fileDefaults)
    {
        ProfilingOptions validated;
        try
        {
            validated = OptionsValidator.Validate(OptionsDocument.Merge(ProfilingOptions.BuiltIn, fileDefaults, _overrides), Registry);
        }
        catch (OptionsException e)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, e.Message, e);
        }
        lock (_defaultsLock)
        {
            try
            {
                _defaultsFile?.Save(fileDefaults);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ProfilerException(ProfilerErrorKind.StorageFailed, $"the defaults could not be saved to {_defaultsFile!.Path}: {e.Message}; the defaults in use are unchanged", e);
            }
            _fileDefaults = (JObject)fileDefaults.DeepClone();
            DefaultOptions = validated;
        }
        _logger.LogInformation("Default options replaced{Where}", _defaultsFile is null ? " (in memory only)" : $" and saved to {_defaultsFile.Path}");
        return validated;
    }

    /// <summary>
    /// <see cref="ReplaceDefaults"/> for a request from the page or the API, which may not change <c>symbols</c>: it says
    /// which folders the host reads and writes and which server it calls, the operator's to set. Defaults without
    /// <c>symbols</c> keep the file's.
    /// </summary>
    public ProfilingOptions ReplaceDefaultsFromRequest(JObject fileDefaults)
    {
        var current = _fileDefaults["symbols"];
        if (fileDefaults["symbols"] is { } requested && !JToken.DeepEquals(requested, current))
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, SymbolsAreTheOperators);
        }
        var replacement = (JObject)fileDefaults.DeepClone();
        if (current is not null)
        {
            replacement["symbols"] = current.DeepClone();
        }
        return ReplaceDefaults(replacement);
    }

    private const string SymbolsAreTheOperators =
        "symbols: where debug files are read, cached and fetched from is set in the options file or with --symbols and --symbol-server, not by a request";

    /// <summary>The defaults as the file holds them (without the built-in layer).</summary>
    public JObject FileDefaults => (JObject)_fileDefaults.DeepClone();

    /// <summary>Every event type with its availability for the target, probed now, and which one a start without one runs.</summary>
    public IReadOnlyList<EventTypeStatus> EventTypes()
    {
        var probed = Registry.EventTypes.Select(e => (EventType: e, Availability: Probe(e))).ToArray();
        var chosen = DefaultOptions.Event ?? DefaultAmong(probed);
        return probed.Select(p => new EventTypeStatus(p.EventType.Info.Name, p.EventType.Plugin, p.EventType.Info.Unit, p.EventType.Info.Description,
            p.Availability.IsAvailable, p.Availability.Reason, p.Availability.Fix) { Default = p.EventType.Info.Name == chosen }).ToArray();
    }

    /// <summary>
    /// The event type a command without one runs: the options' <c>event</c>, else the available one that declares the
    /// highest <see cref="EventTypeInfo.DefaultPriority"/>, the first loaded among equals.
    /// </summary>
    public string? DefaultEventType(ProfilingOptions options) =>
        options.Event ?? DefaultAmong(Registry.EventTypes.Select(e => (e, Probe(e))));

    private static string? DefaultAmong(IEnumerable<(RegisteredEventType EventType, Availability Availability)> probed) =>
        probed.Where(p => p.Availability.IsAvailable).OrderByDescending(p => p.EventType.Info.DefaultPriority).Select(p => p.EventType.Info.Name).FirstOrDefault();

    public async Task<ProfilerStatus> StartAsync(string? eventType, JObject? options, CancellationToken cancellationToken = default)
    {
        var effective = EffectiveOptions(options);
        var name = eventType ?? DefaultEventType(effective)
            ?? throw new ProfilerException(ProfilerErrorKind.InvalidRequest, "no event type is available for this target; see GET /api/event-types for the reasons");
        var registered = Registry.FindEventType(name)
            ?? throw new ProfilerException(ProfilerErrorKind.InvalidRequest, $"unknown event type '{name}'; known: {Registry.EventTypeNames}");
        try
        {
            OptionsValidator.CheckInterval(effective, registered.Info);
        }
        catch (OptionsException e)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, e.Message, e);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_running is { } running)
            {
                throw new ProfilerException(ProfilerErrorKind.AlreadyRunning, $"a '{running.EventType.Info.Name}' session has been running since {running.Since:HH:mm:ss}; stop it first");
            }
            if (_stopping is { } stopping)
            {
                throw new ProfilerException(ProfilerErrorKind.AlreadyRunning, $"the '{stopping.EventType.Info.Name}' session is still being stopped and stored; start again in a moment");
            }
            var availability = Probe(registered);
            if (!availability.IsAvailable)
            {
                throw new ProfilerException(ProfilerErrorKind.InvalidRequest,
                    $"event type '{name}' is not available: {availability.Reason}" + (availability.Fix is { } fix ? $" Fix: {fix}" : ""));
            }
            var target = Target;
            var request = new SamplingRequest(name, target, effective, _loggerFactory.CreateLogger($"Pluggable.Sampler.{registered.Plugin}"));
            ISamplingSession session;
            try
            {
                session = await registered.Sampler.StartAsync(request, cancellationToken);
            }
            catch (OptionsException e)
            {
                throw new ProfilerException(ProfilerErrorKind.InvalidRequest, e.Message, e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "Plugin {Plugin} failed to start {Event}", registered.Plugin, name);
                throw new ProfilerException(ProfilerErrorKind.PluginFailed, $"plugin '{registered.Plugin}' failed to start '{name}': {e.Message}", e);
            }
            var started = new RunningSession(session, registered, effective, target, _clock.GetUtcNow(), new CancellationTokenSource());
            _running = started;
            _ = StopAtLimitAsync(started);
            _logger.LogInformation("Started {Event} on {Target} (pid {Pid})", name, Target.Name, Target.Pid);
            return Status;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<StopResult> StopAsync(CancellationToken cancellationToken = default) => StopCoreAsync(null, "request", cancellationToken);

    /// <summary>Points new sessions at another process; refused (AlreadyRunning) while a session runs or is being stopped.</summary>
    public async Task<ProfilerStatus> SwitchTargetAsync(TargetProcess target, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_running is not null || _stopping is not null)
            {
                throw new ProfilerException(ProfilerErrorKind.AlreadyRunning, "the target can change only while no session runs; stop it first");
            }
            _target = target;
            _logger.LogInformation("Target is now {Target} (pid {Pid})", target.Name, target.Pid);
            return Status;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Renders a stored profile again, with <paramref name="options"/> merged over the defaults, by the named renderer or else the page renderer.</summary>
    public async Task<StoredFile> RenderAsync(int id, JObject? options, string? renderer = null, CancellationToken cancellationToken = default)
    {
        var effective = EffectiveOptions(options);
        using var hold = Store.Hold(id);
        var profile = await ReadStoredAsync(id, cancellationToken);
        return await RenderProfilesAsync([id], [profile], renderer ?? RendererNameFor(RendererRole.Page), effective, cancellationToken);
    }

    /// <summary>Renders a comparison of two stored profiles of the same unit, by the named renderer or else the diff renderer.</summary>
    public async Task<StoredFile> DiffAsync(int before, int after, JObject? options, string? renderer = null, CancellationToken cancellationToken = default)
    {
        var effective = EffectiveOptions(options);
        using var hold = Store.Hold(before, after);
        var profiles = new[] { await ReadStoredAsync(before, cancellationToken), await ReadStoredAsync(after, cancellationToken) };
        if (profiles[0].Metadata.Unit != profiles[1].Metadata.Unit)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest,
                $"profile {before} is in {profiles[0].Metadata.Unit} and profile {after} in {profiles[1].Metadata.Unit}; only profiles of the same unit can be compared");
        }
        return await RenderProfilesAsync([before, after], profiles, renderer ?? RendererNameFor(RendererRole.Diff), effective, cancellationToken);
    }

    private string RendererNameFor(RendererRole role) =>
        Registry.RendererFor(role)?.Info.Name
        ?? throw new ProfilerException(ProfilerErrorKind.InvalidRequest, $"no loaded renderer declares the {role.ToString().ToLowerInvariant()} role; name one with \"renderer\"");

    public async ValueTask DisposeAsync()
    {
        if (_running is { } running)
        {
            _running = null;
            await running.Limit.CancelAsync();
            await running.Session.DisposeAsync();
        }
    }

    private async Task<StackProfile> ReadStoredAsync(int id, CancellationToken cancellationToken)
    {
        var read = await Store.ReadProfileAsync(id, cancellationToken)
            ?? throw new ProfilerException(ProfilerErrorKind.NotFound, $"no stored profile has id {id}");
        if (read.Errors.Count > 0)
        {
            _logger.LogWarning("Profile {Id} has {Count} unreadable lines, first {Error}", id, read.Errors.Count, read.Errors[0]);
        }
        return read.Profile;
    }

    private async Task<StopResult> StopCoreAsync(RunningSession? only, string stoppedBy, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        RunningSession running;
        try
        {
            if (_running is not { } current || (only is not null && current != only))
            {
                throw new ProfilerException(ProfilerErrorKind.NotRunning, "no profiling session is running");
            }
            running = current;
            _stopping = running;
            _running = null;
        }
        finally
        {
            _gate.Release();
        }

        try
        {
            await running.Limit.CancelAsync();
            var plugin = running.EventType.Plugin;
            StackProfile profile;
            try
            {
                profile = await running.Session.StopAsync(cancellationToken);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Plugin {Plugin} failed to stop {Event}", plugin, running.EventType.Info.Name);
                throw new ProfilerException(ProfilerErrorKind.PluginFailed, $"plugin '{plugin}' failed to stop '{running.EventType.Info.Name}': {e.Message}", e);
            }
            finally
            {
                await DisposeQuietlyAsync(running);
            }

            profile = profile.WithMetadata(Complete(profile.Metadata, running, stoppedBy));
            StoredFile raw;
            try
            {
                raw = await Store.SaveRawAsync(profile, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogError(e, "Could not store the {Event} profile in {Folder}", running.EventType.Info.Name, Store.Folder);
                throw new ProfilerException(ProfilerErrorKind.StorageFailed, $"the profile could not be stored in {Store.Folder}: {e.Message}", e);
            }
            var files = new List<StoredFile> { raw };
            var warnings = new List<string>();
            if (Registry.RendererFor(RendererRole.Page) is { } page)
            {
                try
                {
                    files.Add(await RenderProfilesAsync([raw.Id], [profile], page.Info.Name, running.Options, cancellationToken));
                }
                catch (ProfilerException e)
                {
                    warnings.Add($"the profile is stored, but rendering it failed: {e.Message}");
                }
            }
            else
            {
                warnings.Add("no loaded renderer makes pages (the page role); only the raw profile was stored");
            }
            if (raw.LowConfidence is { } lowConfidence)
            {
                warnings.Add($"low confidence: {lowConfidence}");
            }
            if (profile.Metadata.Properties.TryGetValue(ProfileMetadata.LimitProperty, out var limit))
            {
                warnings.Add($"limit: {limit}");
            }
            var result = new StopResult(raw.Id, raw.Event, raw.Samples, profile.Metadata.Partial, stoppedBy, files, warnings) { LowConfidence = raw.LowConfidence };
            _lastStop = result;
            _logger.LogInformation("Stopped {Event} ({StoppedBy}): profile {Id}, {Samples} samples{Partial}", raw.Event, stoppedBy, raw.Id, raw.Samples, result.Partial ? ", partial" : "");
            return result;
        }
        finally
        {
            _stopping = null;
        }
    }

    private async Task<StoredFile> RenderProfilesAsync(IReadOnlyList<int> ids, IReadOnlyList<StackProfile> profiles, string rendererName, ProfilingOptions options, CancellationToken cancellationToken)
    {
        var renderer = Registry.FindRenderer(rendererName)
            ?? throw new ProfilerException(ProfilerErrorKind.InvalidRequest, $"unknown renderer '{rendererName}'; known: {Registry.RendererNames}");
        if (renderer.Info.Inputs != profiles.Count)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, $"renderer '{rendererName}' takes {renderer.Info.Inputs} profile(s), not {profiles.Count}");
        }
        StackProfile[] transformed;
        try
        {
            var pipeline = TransformPipeline.Build(options.Transforms, Registry);
            transformed = profiles.Select(pipeline.Apply).ToArray();
        }
        catch (OptionsException e)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            throw new ProfilerException(ProfilerErrorKind.PluginFailed, e.Message, e);
        }
        var request = new RenderRequest(transformed, options.Transforms, options.RendererSection(rendererName)) { Untransformed = profiles };
        try
        {
            return await Store.SaveRenderedAsync(ids, profiles[^1].Metadata.Event, renderer.Info.Name, renderer.Info.FileExtension,
                (stream, ct) => renderer.Renderer.RenderAsync(request, stream, ct), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError(e, "Renderer {Renderer} of plugin {Plugin} failed", rendererName, renderer.Plugin);
            throw new ProfilerException(ProfilerErrorKind.PluginFailed, $"renderer '{rendererName}' (plugin '{renderer.Plugin}') failed: {e.Message}", e);
        }
    }

    private ProfileMetadata Complete(ProfileMetadata metadata, RunningSession running, string stoppedBy)
    {
        var properties = new Dictionary<string, string>(metadata.Properties);
        if (stoppedBy != "request")
        {
            properties["stopped-by"] = stoppedBy;
        }
        var confident = running.EventType.Info.ConfidentSamples;
        if (metadata.Samples is { } samples && samples < confident)
        {
            properties[LowConfidenceProperty] = $"only {samples} samples; profile longer (aim for {confident}+)";
        }
        return metadata with
        {
            TargetPid = metadata.TargetPid ?? running.Target.Pid,
            TargetName = metadata.TargetName ?? running.Target.Name,
            Start = metadata.Start ?? running.Since,
            End = metadata.End ?? _clock.GetUtcNow(),
            Partial = metadata.Partial || stoppedBy != "request",
            Properties = properties,
        };
    }

    private Availability Probe(RegisteredEventType eventType)
    {
        try
        {
            return eventType.Sampler.Probe(eventType.Info.Name, Target);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Plugin {Plugin} failed to probe {Event}", eventType.Plugin, eventType.Info.Name);
            return Availability.Unavailable($"plugin '{eventType.Plugin}' failed to probe it: {e.Message}");
        }
    }

    private async Task StopAtLimitAsync(RunningSession running)
    {
        // Awaited without throwing: a stop before the limit is the normal case, and an exception for it would show in exception profiles of the host.
        await Task.Delay(running.Options.MaxDuration, _clock, running.Limit.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (running.Limit.IsCancellationRequested)
        {
            return;
        }
        try
        {
            await StopCoreAsync(running, "maxDuration", CancellationToken.None);
        }
        catch (ProfilerException e) when (e.Kind == ProfilerErrorKind.NotRunning)
        {
            // Stopped by a request at the same moment.
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Stopping the session at its time limit failed");
        }
    }

    private async Task DisposeQuietlyAsync(RunningSession running)
    {
        running.Limit.Dispose();
        try
        {
            await running.Session.DisposeAsync();
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Plugin {Plugin} failed to release its session", running.EventType.Plugin);
        }
    }

    private sealed record RunningSession(ISamplingSession Session, RegisteredEventType EventType, ProfilingOptions Options, TargetProcess Target, DateTimeOffset Since, CancellationTokenSource Limit);
}
