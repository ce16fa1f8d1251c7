using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Pluggable.Bench.Footprint;

/// <summary>Reads a .NET process's own runtime counters (System.Runtime: GC heap size, GC committed bytes) over EventPipe, as dotnet-counters does.</summary>
internal static class RuntimeCounters
{
    public const string GcHeapSize = "gc-heap-size";
    public const string GcCommitted = "gc-committed";

    /// <summary>The first published value of each counter, in the counter's unit (MB for both above); those not seen within <paramref name="timeout"/> are missing.</summary>
    public static async Task<IReadOnlyDictionary<string, double>> ReadAsync(int pid, IReadOnlyCollection<string> names, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var provider = new EventPipeProvider("System.Runtime", EventLevel.Informational, 0, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" });
        using var session = await new DiagnosticsClient(pid).StartEventPipeSessionAsync([provider], requestRundown: false, circularBufferMB: 16, cancellationToken);
        var values = new ConcurrentDictionary<string, double>();
        var complete = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var source = new EventPipeEventSource(session.EventStream);
        source.Dynamic.All += e =>
        {
            if (e.EventName != "EventCounters" || e.PayloadValue(0) is not IDictionary<string, object> envelope || envelope["Payload"] is not IDictionary<string, object> payload)
            {
                return;
            }
            var name = (string)payload["Name"];
            if (names.Contains(name) && payload.TryGetValue("Mean", out var mean))
            {
                values.TryAdd(name, Convert.ToDouble(mean, System.Globalization.CultureInfo.InvariantCulture));
                if (names.All(values.ContainsKey))
                {
                    complete.TrySetResult();
                }
            }
        };
        var processing = Task.Run(source.Process, cancellationToken);
        await Task.WhenAny(complete.Task, Task.Delay(timeout, cancellationToken));
        await session.StopAsync(cancellationToken);
        await processing;
        return values;
    }
}
