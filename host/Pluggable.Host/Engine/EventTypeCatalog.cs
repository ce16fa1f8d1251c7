using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;

namespace Pluggable.Host.Engine;

/// <summary>The loaded event types: which can run against a target, which one a start without one runs, and which one a name means.</summary>
internal sealed class EventTypeCatalog(PluginRegistry registry, ILogger logger)
{
    /// <summary>Every event type with its availability for <paramref name="target"/>, probed now; <paramref name="chosen"/> (or else the default) is marked.</summary>
    public IReadOnlyList<EventTypeStatus> List(TargetProcess target, string? chosen)
    {
        var probed = ProbeAll(target).ToArray();
        chosen ??= DefaultAmong(probed);
        return probed.Select(p => new EventTypeStatus(p.EventType.Info.Name, p.EventType.Plugin, p.EventType.Info.Unit, p.EventType.Info.Description,
            p.Availability.IsAvailable, p.Availability.Reason, p.Availability.Fix) { Default = p.EventType.Info.Name == chosen }).ToArray();
    }

    /// <summary>The available event type that declares the highest <see cref="EventTypeInfo.DefaultPriority"/>, the first loaded among equals; null when none is available.</summary>
    public string? DefaultFor(TargetProcess target) => DefaultAmong(ProbeAll(target));

    /// <summary>The event type <paramref name="name"/> means, refusing an unknown name and an interval shorter than it takes.</summary>
    public RegisteredEventType Resolve(string name, ProfilingOptions options)
    {
        var registered = registry.FindEventType(name)
            ?? throw new ProfilerException(ProfilerErrorKind.InvalidRequest, $"unknown event type '{name}'; known: {registry.EventTypeNames}");
        return BadOptions.Refused(() =>
        {
            OptionsValidator.CheckInterval(options, registered.Info);
            return registered;
        });
    }

    /// <summary>Asks the event type's sampler; a sampler that throws makes it unavailable, with the plugin named.</summary>
    public Availability Probe(RegisteredEventType eventType, TargetProcess target)
    {
        try
        {
            return eventType.Sampler.Probe(eventType.Info.Name, target);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Plugin {Plugin} failed to probe {Event}", eventType.Plugin, eventType.Info.Name);
            return Availability.Unavailable($"plugin '{eventType.Plugin}' failed to probe it: {e.Message}");
        }
    }

    private IEnumerable<(RegisteredEventType EventType, Availability Availability)> ProbeAll(TargetProcess target) =>
        registry.EventTypes.Select(e => (e, Probe(e, target)));

    private static string? DefaultAmong(IEnumerable<(RegisteredEventType EventType, Availability Availability)> probed) =>
        probed.Where(p => p.Availability.IsAvailable).OrderByDescending(p => p.EventType.Info.DefaultPriority).Select(p => p.EventType.Info.Name).FirstOrDefault();
}
