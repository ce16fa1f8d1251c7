using System.Diagnostics;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Platform;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.EventPipe;

/// <summary>
/// One EventPipe session on the target, read in real time by TraceEvent. Events are summed by stack index as they
/// arrive, so memory grows with distinct stacks, not with events. Methods jitted before the session are named by
/// TraceEvent's start rundown, the rest by the rundown the runtime sends when the session stops.
/// </summary>
internal sealed class EventPipeSamplingSession : ISamplingSession
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    private readonly EventPipeEventType _type;
    private readonly SamplingRequest _request;
    private readonly EventPipeEventType.Collection _collection;
    private readonly EventPipeSession _session;
    private readonly TraceLogEventSource _source;
    private readonly StackAggregator _aggregator;
    private readonly Task _processing;
    private readonly DateTimeOffset _start;
    private readonly ThreadNames _threadNames;
    private Exception? _processingError;

    private EventPipeSamplingSession(EventPipeEventType type, SamplingRequest request, EventPipeEventType.Collection collection, EventPipeSession session, TraceLogEventSource source)
    {
        _type = type;
        _request = request;
        _collection = collection;
        _session = session;
        _source = source;
        _start = DateTimeOffset.UtcNow;
        _aggregator = new StackAggregator(request.Options.Threads, request.Options.MaxSamples);
        _threadNames = new ThreadNames(request.Target.Pid);
        collection.Subscribe(source, _aggregator);
        if (request.Options.Threads)
        {
            source.AllEvents += data => _threadNames.Remember(data.ThreadID);
        }
        _processing = Task.Factory.StartNew(Process, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public static async Task<EventPipeSamplingSession> StartAsync(EventPipeEventType type, SamplingRequest request, CancellationToken cancellationToken)
    {
        var collection = type.Prepare(request);
        var client = new DiagnosticsClient(request.Target.Pid);
        var configuration = new EventPipeSessionConfiguration(collection.Providers, circularBufferSizeMB: 256, requestRundown: true, requestStackwalk: true);
        var clock = Stopwatch.StartNew();
        var session = await client.StartEventPipeSessionAsync(configuration, cancellationToken);
        try
        {
            // Opens a short second session for the start rundown, which names the methods already jitted.
            var source = TraceLog.CreateFromEventPipeSession(session, TraceLog.EventPipeRundownConfiguration.Enable(client));
            request.Logger.LogInformation("EventPipe session for {Event} on pid {Pid} started in {Milliseconds} ms (start rundown included)", request.EventType, request.Target.Pid, clock.ElapsedMilliseconds);
            return new EventPipeSamplingSession(type, request, collection, session, source);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    public async Task<StackProfile> StopAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var targetGone = _processing.IsCompleted;
        var end = DateTimeOffset.UtcNow;
        if (!targetGone)
        {
            try
            {
                // The runtime answers with the end rundown, then closes the stream; processing ends after it.
                await _session.StopAsync(cancellationToken);
            }
            catch (Exception e) when (e is ServerNotAvailableException or EndOfStreamException or IOException or TimeoutException)
            {
                targetGone = true;
                _request.Logger.LogWarning("The target (pid {Pid}) went away before the session stopped: {Message}", _request.Target.Pid, e.Message);
            }
        }
        if (await Task.WhenAny(_processing, Task.Delay(DrainTimeout, cancellationToken)) != _processing)
        {
            targetGone = true;
            _request.Logger.LogWarning("The event stream did not end within {Timeout}; keeping what arrived", DrainTimeout);
            _source.StopProcessing();
        }
        var drained = clock.ElapsedMilliseconds;
        if (_processingError is not null)
        {
            targetGone = true;
            _request.Logger.LogWarning("Reading the event stream failed after {Events} events: {Message}", _aggregator.Events, _processingError.Message);
        }
        _collection.Finish?.Invoke(_aggregator, end.LocalDateTime);

        var metadata = new ProfileMetadata
        {
            Event = _type.Info.Name,
            Unit = _type.Info.Unit,
            Interval = _collection.Interval,
            TargetPid = _request.Target.Pid,
            TargetName = _request.Target.Name,
            Start = _start,
            End = end,
            Partial = targetGone,
            Properties = new Dictionary<string, string>(_collection.Properties) { ["sampler"] = "eventpipe" },
        };
        var profile = _aggregator.Build(_source.TraceLog, metadata, _request.Options.Threads ? _threadNames.FrameName : null, _collection.LeafPlumbing ?? []);
        _request.Logger.LogInformation(
            "Stopped {Event} on pid {Pid}: {Events} events, {Stacks} stacks; end rundown and drain took {Drain} ms, naming frames {Resolve} ms",
            _type.Info.Name, _request.Target.Pid, _aggregator.Events, profile.Stacks.Count, drained, clock.ElapsedMilliseconds - drained);
        return profile;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_processing.IsCompleted)
        {
            _source.StopProcessing();
        }
        _session.Dispose(); // ends the stream the processing reads
        await Task.WhenAny(_processing, Task.Delay(DrainTimeout));
        _source.Dispose();
    }

    private void Process()
    {
        if (_request.Target.IsSelf)
        {
            // Profiling its own process, the profiler must not count its own work on the events.
            _aggregator.IgnoreThread(UnixThread.CurrentId);
        }
        try
        {
            _source.Process();
        }
        catch (Exception e)
        {
            _processingError = e;
        }
    }
}
