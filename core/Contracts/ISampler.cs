namespace Pluggable.Core.Contracts;

/// <summary>
/// A source of stack samples for one or more event types (cpu, alloc, lock, ...).
/// </summary>
/// <remarks>
/// The host creates one instance per plugin at load time and calls it from any thread, one session at a time.
/// The host wraps every call: an exception from <see cref="Probe"/> marks the event type unavailable with the
/// exception's message, one from <see cref="StartAsync"/> fails that start request naming the plugin. A sampler
/// never needs to catch for the host's sake, but must release what it holds (sessions, file descriptors,
/// attached threads) before it throws.
/// </remarks>
public interface ISampler
{
    /// <summary>The event types this sampler serves. Read once, at load time.</summary>
    IReadOnlyList<EventTypeInfo> EventTypes { get; }

    /// <summary>Whether <paramref name="eventType"/> can be sampled on this machine for this target, and if not, why and how to fix it. Cheap: called for every listing of event types.</summary>
    Availability Probe(string eventType, TargetProcess target);

    /// <summary>Starts sampling. The returned session runs until <see cref="ISamplingSession.StopAsync"/>.</summary>
    Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken);
}

/// <summary>One running sampling session.</summary>
/// <remarks>
/// If the target exits before the stop, <see cref="StopAsync"/> still returns what was collected, with
/// <see cref="Profiles.ProfileMetadata.Partial"/> set. Disposing without stopping discards the samples and releases everything.
/// </remarks>
public interface ISamplingSession : IAsyncDisposable
{
    /// <summary>Stops sampling and returns the profile.</summary>
    Task<Profiles.StackProfile> StopAsync(CancellationToken cancellationToken);
}
