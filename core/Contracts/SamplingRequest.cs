using Microsoft.Extensions.Logging;
using Pluggable.Core.Options;

namespace Pluggable.Core.Contracts;

/// <summary>Everything a sampler needs to start a session.</summary>
/// <param name="EventType">The event type to sample, one of the sampler's <see cref="ISampler.EventTypes"/>.</param>
/// <param name="Target">The process to sample.</param>
/// <param name="Options">The effective options: the request merged over the defaults file and the built-in defaults, already validated.</param>
/// <param name="Logger">Where the sampler logs.</param>
public sealed record SamplingRequest(string EventType, TargetProcess Target, ProfilingOptions Options, ILogger Logger)
{
    /// <summary>Binds this event's options section (<c>events.&lt;name&gt;</c>) to the event's options class.</summary>
    public T EventOptions<T>() where T : class, new() =>
        OptionsBinder.Bind<T>(Options.EventSection(EventType), $"events.{EventType}");
}
