using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Etlx;
using Pluggable.Core.Contracts;

namespace Pluggable.Plugins.EventPipe;

/// <summary>One event type served from EventPipe: which providers it needs and how its events become weighted stacks.</summary>
internal abstract class EventPipeEventType
{
    public const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";

    /// <summary>Loader and JIT events name the methods loaded or jitted during the session.</summary>
    protected const long LoaderAndJitKeywords = 0x8 | 0x10;

    public abstract EventTypeInfo Info { get; }

    /// <summary>The oldest .NET major version whose runtime emits what this event type needs.</summary>
    public virtual int MinimumRuntime => 6;

    public virtual Availability Probe(TargetProcess target) => DiagnosticsIpc.Probe(target, MinimumRuntime, Info.Name);

    /// <summary>Prepares a session: validates this event's options and says which providers to enable.</summary>
    public abstract Collection Prepare(SamplingRequest request);

    /// <summary>What one session of this event type enables and how it handles the events.</summary>
    /// <param name="Providers">The EventPipe providers to enable.</param>
    /// <param name="Interval">The interval as the profile states it.</param>
    /// <param name="Properties">Facts for the profile's metadata, e.g. the event source used.</param>
    /// <param name="Subscribe">Attaches the handlers that feed the aggregator.</param>
    /// <param name="LeafPlumbing">Name prefixes of the frames that raise the event itself (the runtime's event source, its exception dispatch); such frames at the leaf end of a stack are left out, so the leaf is the code that waited or threw.</param>
    /// <param name="Finish">Called once the stream has ended, before the profile is built, with the session's end as a local time, the events' clock (to close open waits); may be null.</param>
    public sealed record Collection(
        IReadOnlyList<EventPipeProvider> Providers,
        string Interval,
        IReadOnlyDictionary<string, string> Properties,
        Action<TraceLogEventSource, StackAggregator> Subscribe,
        IReadOnlyList<string>? LeafPlumbing = null,
        Action<StackAggregator, DateTime>? Finish = null);

    protected static EventPipeProvider Runtime(long keywords, EventLevel level = EventLevel.Informational) =>
        new(RuntimeProvider, level, keywords | LoaderAndJitKeywords);
}
