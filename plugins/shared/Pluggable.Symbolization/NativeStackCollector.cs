using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Unwinding;

namespace Pluggable.Symbolization;

/// <summary>
/// What a session that samples native stacks (cpu, itimer) keeps of its target from start to stop, and how it names
/// them at the end: the target's maps at the start (a library unloaded before the stop still names its frames), the
/// managed symbol session (perf map and rundown), the stacks summed by address, and the threads' names.
/// </summary>
public sealed class NativeStackCollector
{
    private readonly SamplingRequest _request;
    private readonly ProcessMaps _mapsAtStart;
    private readonly ManagedSymbolSession? _managedSymbols;
    private readonly AddressStackAggregator _aggregator;

    /// <summary>Reads the target's maps and turns on what names its managed code; call as the sampling starts.</summary>
    public NativeStackCollector(SamplingRequest request)
    {
        _request = request;
        _aggregator = new AddressStackAggregator(byThread: request.Options.Threads, request.Options.MaxSamples);
        ThreadNames = new ThreadNames(request.Target.Pid);
        _mapsAtStart = ProcessMaps.Read(request.Target.Pid);
        _managedSymbols = request.Target.RuntimeVersion is null ? null : ManagedSymbolSession.Begin(request.Target.Pid, request.Logger);
    }

    public DateTimeOffset Start { get; } = DateTimeOffset.UtcNow;

    public ThreadNames ThreadNames { get; }

    public long Samples => _aggregator.Samples;

    /// <summary>Adds one sample: raw addresses, leaf first, callers' return addresses already moved back into their call.</summary>
    public void Add(int threadId, ReadOnlySpan<ulong> leafFirst, long weight = 1)
    {
        if (_request.Options.Threads)
        {
            ThreadNames.Remember(threadId);
        }
        _aggregator.Add(threadId, leafFirst, weight);
    }

    /// <summary>
    /// Names the stacks and builds the profile, with what the session says of itself; it is partial when the session
    /// says so or the target has exited.
    /// </summary>
    public async Task<StackProfile> EndAsync(SessionSummary summary, KernelSymbols kernel, CancellationToken cancellationToken)
    {
        var mapsAtStop = ProcessMaps.TryRead(_request.Target.Pid);
        var maps = mapsAtStop is null ? _mapsAtStart : _mapsAtStart.Merge(mapsAtStop);
        var managed = _managedSymbols is null ? ManagedCodeMap.Empty : await _managedSymbols.EndAsync(cancellationToken);
        var metadata = new ProfileMetadata
        {
            Event = _request.EventType,
            Unit = summary.Unit,
            Interval = summary.Interval,
            TargetPid = _request.Target.Pid,
            TargetName = _request.Target.Name,
            Start = Start,
            End = summary.End,
            Partial = summary.Partial || mapsAtStop is null,
            Properties = summary.Properties,
        };
        var symbolizer = new NativeStackSymbolizer(maps, managed, kernel, DebugSymbols.For(_request.Options.Symbols, _request.Logger));
        return _aggregator.Build(symbolizer, metadata, _request.Options.Threads ? ThreadNames.FrameName : null);
    }

    /// <summary>The session ends without a stop: the target's perf map goes back to how it was.</summary>
    public void Abandon() => _managedSymbols?.Restore();
}

/// <summary>What a session says of itself at its stop, for its profile's metadata.</summary>
/// <param name="Unit">The samples' unit.</param>
/// <param name="Interval">The sampling interval, as the profile states it.</param>
/// <param name="End">When sampling ended.</param>
/// <param name="Partial">Whether the session knows it missed samples (its sampler died).</param>
/// <param name="Properties">Its own notes.</param>
public sealed record SessionSummary(string Unit, string Interval, DateTimeOffset End, bool Partial, IReadOnlyDictionary<string, string> Properties);
