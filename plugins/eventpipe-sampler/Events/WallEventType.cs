using Microsoft.Diagnostics.NETCore.Client;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.EventPipe;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.EventPipe.Events;

/// <summary>
/// wall: every managed thread's stack, running or waiting, from the runtime's sample profiler (one sample per thread
/// per millisecond; the runtime fixes the rate). Its samples of running code are taken at safepoints, so it shows
/// where threads wait (idle pools, blocking I/O, sleeps), not where CPU goes.
/// </summary>
internal sealed class WallEventType : EventPipeEventType
{
    public const string SampleProfilerProvider = "Microsoft-DotNETCore-SampleProfiler";

    public override EventTypeInfo Info { get; } = new("wall", KnownUnits.Samples,
        "Every managed thread's stack, running or waiting: for waiting, not for CPU; use cpu for CPU")
    {
        // Waiting threads are sampled too, so an idle target still gives samples; only a session too short for the runtime does not.
        FewSamples = new("the runtime's sample profiler reported no stack: the session was too short", "profile for a second or more (the rate is fixed at 1 ms per thread)"),
    };

    public override Collection Prepare(SamplingRequest request) => new(
        [Runtime(0), new EventPipeProvider(SampleProfilerProvider, EventLevel.Informational)],
        "1 ms per thread (fixed by the runtime)",
        new Dictionary<string, string>(),
        (source, aggregator) => new SampleProfilerTraceEventParser(source).ThreadSample += sample => aggregator.Add(sample, 1));
}
