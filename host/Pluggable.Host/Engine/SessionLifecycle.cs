using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;

namespace Pluggable.Host.Engine;

/// <summary>
/// At most one sampling session at a time, against one target: start, stop (by a request or at the session's time
/// limit), and a change of target while idle. One gate orders them; the slow part of a stop (stopping the sampler,
/// storing, rendering) runs outside it, with the session marked as stopping so that a start meanwhile is refused.
/// </summary>
internal sealed class SessionLifecycle(TargetProcess target, EventTypeCatalog eventTypes, StoppedProfileKeeper keeper, ILoggerFactory loggerFactory, TimeProvider clock, ILogger logger)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile TargetProcess _target = target;
    private volatile RunningSession? _running;
    private volatile RunningSession? _stopping;
    private volatile StopResult? _lastStop;

    public TargetProcess Target => _target;

    /// <summary>After every stop that stored its profile; see <see cref="ProfilerEngine.Stopped"/>.</summary>
    public event Action<StopResult>? Stopped;

    /// <summary>False once the target process has exited (the host profiling itself is always running).</summary>
    public bool TargetRunning => Target.IsSelf || Directory.Exists($"/proc/{Target.Pid}");

    public ProfilerStatus Status => (_running, _stopping) switch
    {
        ({ } running, _) => new ProfilerStatus(ProfilerStatus.Running, running.EventType.Info.Name, running.Since, Target, _lastStop) { TargetRunning = TargetRunning },
        (null, { } stopping) => new ProfilerStatus(ProfilerStatus.Stopping, stopping.EventType.Info.Name, stopping.Since, Target, _lastStop) { TargetRunning = TargetRunning },
        _ => new ProfilerStatus(ProfilerStatus.Idle, null, null, Target, _lastStop) { TargetRunning = TargetRunning },
    };

    /// <summary>Starts <paramref name="eventType"/> with <paramref name="options"/> (already validated) unless a session runs or it is unavailable.</summary>
    public async Task<ProfilerStatus> StartAsync(RegisteredEventType eventType, ProfilingOptions options, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            RefuseWhileBusy();
            var name = eventType.Info.Name;
            var availability = eventTypes.Probe(eventType, Target);
            if (!availability.IsAvailable)
            {
                throw new ProfilerException(ProfilerErrorKind.InvalidRequest,
                    $"event type '{name}' is not available: {availability.Reason}" + (availability.Fix is { } fix ? $" Fix: {fix}" : ""));
            }
            var started = new RunningSession(await StartSamplerAsync(eventType, options, cancellationToken), eventType, options, Target, clock.GetUtcNow(), new CancellationTokenSource());
            _running = started;
            _ = StopAtLimitAsync(started);
            logger.LogInformation("Started {Event} on {Target} (pid {Pid})", name, Target.Name, Target.Pid);
            return Status;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<StopResult> StopAsync(CancellationToken cancellationToken) => StopAsync(null, StoppedBy.Request, cancellationToken);

    /// <summary>Points new sessions at another process; refused (AlreadyRunning) while a session runs or is being stopped.</summary>
    public async Task<ProfilerStatus> SwitchTargetAsync(TargetProcess target, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_running is not null || _stopping is not null)
            {
                throw new ProfilerException(ProfilerErrorKind.AlreadyRunning, "the target can change only while no session runs; stop it first");
            }
            _target = target;
            logger.LogInformation("Target is now {Target} (pid {Pid})", target.Name, target.Pid);
            return Status;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Discards a running session's samples and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_running is { } running)
        {
            _running = null;
            await running.Limit.CancelAsync();
            await running.Session.DisposeAsync();
        }
    }

    private void RefuseWhileBusy()
    {
        if (_running is { } running)
        {
            throw new ProfilerException(ProfilerErrorKind.AlreadyRunning, $"a '{running.EventType.Info.Name}' session has been running since {running.Since:HH:mm:ss}; stop it first");
        }
        if (_stopping is { } stopping)
        {
            throw new ProfilerException(ProfilerErrorKind.AlreadyRunning, $"the '{stopping.EventType.Info.Name}' session is still being stopped and stored; start again in a moment");
        }
    }

    private async Task<ISamplingSession> StartSamplerAsync(RegisteredEventType eventType, ProfilingOptions options, CancellationToken cancellationToken)
    {
        var name = eventType.Info.Name;
        var request = new SamplingRequest(name, Target, options, loggerFactory.CreateLogger($"Pluggable.Sampler.{eventType.Plugin}"));
        try
        {
            return await eventType.Sampler.StartAsync(request, cancellationToken);
        }
        catch (OptionsException e)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, e.Message, e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Plugin {Plugin} failed to start {Event}", eventType.Plugin, name);
            throw new ProfilerException(ProfilerErrorKind.PluginFailed, $"plugin '{eventType.Plugin}' failed to start '{name}': {e.Message}", e);
        }
    }

    /// <summary>Stops the running session (only <paramref name="only"/>, when given, so a late time limit cannot stop a newer one) and keeps its profile.</summary>
    private async Task<StopResult> StopAsync(RunningSession? only, string stoppedBy, CancellationToken cancellationToken)
    {
        var session = await TakeRunningAsync(only, cancellationToken);
        try
        {
            var profile = await StopSamplerAsync(session, cancellationToken);
            var result = await keeper.KeepAsync(profile, session, stoppedBy, cancellationToken);
            _lastStop = result;
            Stopped?.Invoke(result);
            return result;
        }
        finally
        {
            _stopping = null;
        }
    }

    /// <summary>Moves the running session to stopping, under the gate, so that nothing else can stop or replace it.</summary>
    private async Task<RunningSession> TakeRunningAsync(RunningSession? only, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_running is not { } current || (only is not null && current != only))
            {
                throw new ProfilerException(ProfilerErrorKind.NotRunning, "no profiling session is running");
            }
            _stopping = current;
            _running = null;
            return current;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The sampler's profile; the session is released whether or not the sampler could stop.</summary>
    private async Task<StackProfile> StopSamplerAsync(RunningSession session, CancellationToken cancellationToken)
    {
        await session.Limit.CancelAsync();
        try
        {
            return await session.Session.StopAsync(cancellationToken);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Plugin {Plugin} failed to stop {Event}", session.EventType.Plugin, session.EventType.Info.Name);
            throw new ProfilerException(ProfilerErrorKind.PluginFailed, $"plugin '{session.EventType.Plugin}' failed to stop '{session.EventType.Info.Name}': {e.Message}", e);
        }
        finally
        {
            await DisposeQuietlyAsync(session);
        }
    }

    private async Task StopAtLimitAsync(RunningSession session)
    {
        // Awaited without throwing: a stop before the limit is the normal case, and an exception for it would show in exception profiles of the host.
        await Task.Delay(session.Options.MaxDuration, clock, session.Limit.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (session.Limit.IsCancellationRequested)
        {
            return;
        }
        try
        {
            await StopAsync(session, StoppedBy.MaxDuration, CancellationToken.None);
        }
        catch (ProfilerException e) when (e.Kind == ProfilerErrorKind.NotRunning)
        {
            // Stopped by a request at the same moment.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Stopping the session at its time limit failed");
        }
    }

    private async Task DisposeQuietlyAsync(RunningSession session)
    {
        session.Limit.Dispose();
        try
        {
            await session.Session.DisposeAsync();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Plugin {Plugin} failed to release its session", session.EventType.Plugin);
        }
    }
}
