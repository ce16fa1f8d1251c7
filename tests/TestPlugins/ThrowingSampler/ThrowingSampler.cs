using Pluggable.Core.Contracts;

namespace Throwing;

/// <summary>A plugin whose constructor throws, as a broken third-party plugin might.</summary>
public sealed class ThrowingSampler : ISampler
{
    public ThrowingSampler() => throw new InvalidOperationException("the throwing sampler cannot start: no license key");

    public IReadOnlyList<EventTypeInfo> EventTypes => [];

    public Availability Probe(string eventType, TargetProcess target) => Availability.Available;

    public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
}
