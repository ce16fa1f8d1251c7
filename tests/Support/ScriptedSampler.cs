using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Testing;

/// <summary>
/// A sampler that returns the folded text it was given, to exercise the host's mechanics (sessions, storage, errors)
/// without sampling anything. Lives only in tests: the shipped samplers are all real.
/// </summary>
public sealed class ScriptedSampler(string eventType = "scripted", string unit = KnownUnits.Samples) : ISampler
{
    /// <summary>The folded text the next stop returns.</summary>
    public string Folded { get; set; } = "Main;Work;Hot 70\nMain;Work;Cold 30\n";

    public Availability Availability { get; set; } = Availability.Available;

    public Exception? ThrowOnProbe { get; set; }

    public Exception? ThrowOnStart { get; set; }

    public Exception? ThrowOnStop { get; set; }

    /// <summary>A stop waits for this before it returns its profile, so a test can watch the host while a stop is under way.</summary>
    public Task StopHeldUntil { get; set; } = Task.CompletedTask;

    /// <summary>Marks the profile partial, as a sampler does when its target exits.</summary>
    public bool Partial { get; set; }

    public int SessionsStarted { get; private set; }

    public int SessionsDisposed { get; private set; }

    /// <summary>The most sessions started and not yet disposed at any one moment: the host runs one at a time.</summary>
    public int MostSessionsOpenAtOnce { get; private set; }

    private int _open;

    public SamplingRequest? LastRequest { get; private set; }

    /// <summary>What its event type declares to be the default for a start without one.</summary>
    public int DefaultPriority { get; init; }

    /// <summary>What its event type says about a profile with no samples or too few.</summary>
    public FewSamplesAdvice FewSamples { get; init; } = FewSamplesAdvice.Generic;

    public IReadOnlyList<EventTypeInfo> EventTypes => [new(eventType, unit, "scripted stacks for tests") { DefaultPriority = DefaultPriority, FewSamples = FewSamples }];

    public Availability Probe(string eventType, TargetProcess target) => ThrowOnProbe is { } e ? throw e : Availability;

    public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken)
    {
        if (ThrowOnStart is { } e)
        {
            throw e;
        }
        LastRequest = request;
        SessionsStarted++;
        MostSessionsOpenAtOnce = Math.Max(MostSessionsOpenAtOnce, Interlocked.Increment(ref _open));
        return Task.FromResult<ISamplingSession>(new Session(this, request));
    }

    private sealed class Session(ScriptedSampler sampler, SamplingRequest request) : ISamplingSession
    {
        public async Task<StackProfile> StopAsync(CancellationToken cancellationToken)
        {
            if (sampler.ThrowOnStop is { } e)
            {
                throw e;
            }
            await sampler.StopHeldUntil.WaitAsync(cancellationToken);
            var profile = FoldedFormat.Read(sampler.Folded).Profile;
            return profile.WithMetadata(profile.Metadata with
            {
                Event = request.EventType,
                Unit = sampler.EventTypes[0].Unit,
                Partial = sampler.Partial,
            });
        }

        public ValueTask DisposeAsync()
        {
            sampler.SessionsDisposed++;
            Interlocked.Decrement(ref sampler._open);
            return ValueTask.CompletedTask;
        }
    }
}
