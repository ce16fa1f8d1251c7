using Microsoft.Diagnostics.Tracing.Etlx;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.EventPipe.Events;

/// <summary>
/// lock: nanoseconds spent waiting for contended monitors and locks, by the waiting stack. The runtime reports a
/// ContentionStart (with the waiter's stack) and a ContentionStop with the wait's duration on the same thread (.NET 8+);
/// a wait still open when the session ends counts until the end, so long waits are not lost.
/// </summary>
internal sealed class LockEventType : EventPipeEventType
{
    private const long ContentionKeyword = 0x4000;

    public override EventTypeInfo Info { get; } = new("lock", KnownUnits.Nanoseconds,
        "Time threads wait for contended locks, by waiting stack")
    {
        // The runtime reports only waits: a lock that is free when taken raises no event.
        FewSamples = new("no thread waited for a contended lock while sampling", "profile while the code that contends for a lock runs, under load"),
    };

    public override int MinimumRuntime => 8;

    public override Collection Prepare(SamplingRequest request)
    {
        var open = new Dictionary<int, (CallStackIndex Stack, DateTime Start)>();
        return new Collection(
            [Runtime(ContentionKeyword)],
            "every contended wait",
            new Dictionary<string, string>(),
            (source, aggregator) =>
            {
                source.Clr.ContentionStart += start =>
                {
                    open[start.ThreadID] = (start.CallStackIndex(), start.TimeStamp);
                };
                source.Clr.ContentionStop += stop =>
                {
                    if (open.Remove(stop.ThreadID, out var wait))
                    {
                        var nanoseconds = stop.DurationNs > 0 ? stop.DurationNs : (stop.TimeStamp - wait.Start).TotalNanoseconds;
                        aggregator.Add(wait.Stack, stop.ThreadID, nanoseconds);
                    }
                };
            },
            LeafPlumbing: ["System.Diagnostics.Tracing."],
            Finish: (aggregator, end) =>
            {
                foreach (var (thread, wait) in open)
                {
                    aggregator.Add(wait.Stack, thread, (end - wait.Start).TotalNanoseconds);
                }
                open.Clear();
            });
    }
}
