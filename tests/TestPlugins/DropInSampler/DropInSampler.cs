using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace DropIn;

/// <summary>
/// Counts how long it ran, as one stack: enough to show that a dropped-in sampler is listed and can be used, and that
/// the setup checks it reports, from its own load context, reach the doctor.
/// </summary>
public sealed class DropInSampler : ISampler, ISetupReporter
{
    public IReadOnlyList<EventTypeInfo> EventTypes { get; } = [new("dropin", KnownUnits.Samples, "a sampler dropped into the plugins folder")];

    public Availability Probe(string eventType, TargetProcess target) => Availability.Available;

    public IReadOnlyList<SetupCheck> CheckSetup(TargetProcess? target) =>
    [
        new("dropin clock", SetupStatus.Pass, "the wall clock runs", "dropin counts milliseconds of it"),
        .. target is null ? [] : new[] { new SetupCheck("dropin target", SetupStatus.Warn, $"pid {target.Pid} is counted, not sampled", "dropin never looks at its target", "use a real sampler") },
    ];

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
