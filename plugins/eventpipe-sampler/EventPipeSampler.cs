using Pluggable.Core.Contracts;
using Pluggable.Plugins.EventPipe.Events;
using Pluggable.Procfs;

namespace Pluggable.Plugins.EventPipe;

/// <summary>alloc, lock, wall and exceptions: events the runtime reports where they happen, with their stacks, over EventPipe.</summary>
public sealed class EventPipeSampler : ISampler, ISetupReporter
{
    private static readonly EventPipeEventType[] Types =
    [
        new AllocEventType(),
        new LockEventType(),
        new WallEventType(),
        new ExceptionsEventType(),
    ];

    public IReadOnlyList<EventTypeInfo> EventTypes { get; } = Types.Select(t => t.Info).ToArray();

    public Availability Probe(string eventType, TargetProcess target) => Find(eventType).Probe(target);

    public IReadOnlyList<SetupCheck> CheckSetup(TargetProcess? target) => DiagnosticsIpc.CheckSetup(target, ProcFiles.OfThisProcess);

    public async Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken) =>
        await EventPipeSamplingSession.StartAsync(Find(request.EventType), request, cancellationToken);

    private static EventPipeEventType Find(string eventType) =>
        Types.FirstOrDefault(t => t.Info.Name == eventType) ?? throw new ArgumentException($"eventpipe-sampler does not serve '{eventType}'");
}
