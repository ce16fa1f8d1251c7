using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace DropIn;

/// <summary>Counts how long it ran, as one stack: enough to show that a dropped-in sampler is listed and can be used.</summary>
public sealed class DropInSampler : ISampler
{
    public IReadOnlyList<EventTypeInfo> EventTypes { get; } = [new("dropin", KnownUnits.Samples, "a sampler dropped into the plugins folder")];

    public Availability Probe(string eventType, TargetProcess target) => Availability.Available;

    public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<ISamplingSession>(new Session(request));

    private sealed class Session(SamplingRequest request) : ISamplingSession
    {
        private readonly DateTimeOffset _start = DateTimeOffset.UtcNow;

        public Task<StackProfile> StopAsync(CancellationToken cancellationToken)
        {
            var builder = new StackProfileBuilder(new ProfileMetadata { Event = request.EventType });
            builder.Add(["DropIn.Sampler", "DropIn.Ran"], Math.Max(1, (long)(DateTimeOffset.UtcNow - _start).TotalMilliseconds));
            return Task.FromResult(builder.Build());
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
