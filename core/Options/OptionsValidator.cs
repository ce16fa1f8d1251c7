using Pluggable.Core.Plugins;

namespace Pluggable.Core.Options;

/// <summary>Checks options against what the loaded plugins offer: the event types, their own options, the transforms and renderers.</summary>
public static class OptionsValidator
{
    /// <summary>Parses and validates a merged document; the first problem throws <see cref="OptionsException"/> naming it.</summary>
    public static ProfilingOptions Validate(Newtonsoft.Json.Linq.JObject merged, PluginRegistry registry)
    {
        var options = ProfilingOptions.From(merged);
        if (options.Event is { } eventType)
        {
            var named = registry.FindEventType(eventType)
                ?? throw new OptionsException($"event: unknown event type '{eventType}'; known: {registry.EventTypeNames}");
            CheckInterval(options, named.Info);
        }
        foreach (var (name, section) in options.Events)
        {
            var registered = registry.FindEventType(name)
                ?? throw new OptionsException($"events.{name}: unknown event type '{name}'; known: {registry.EventTypeNames}");
            if (registered.Info.OptionsType is { } optionsType)
            {
                OptionsBinder.Bind(optionsType, (Newtonsoft.Json.Linq.JObject?)section, $"events.{name}");
            }
            else if (section is Newtonsoft.Json.Linq.JObject { Count: > 0 })
            {
                throw new OptionsException($"events.{name}: event type '{name}' takes no options");
            }
        }
        foreach (var (name, section) in options.Renderers)
        {
            var renderer = registry.FindRenderer(name)
                ?? throw new OptionsException($"renderers.{name}: unknown renderer '{name}'; known: {registry.RendererNames}");
            if (renderer.Info.OptionsType is { } optionsType)
            {
                OptionsBinder.Bind(optionsType, (Newtonsoft.Json.Linq.JObject?)section, $"renderers.{name}");
            }
            else if (section is Newtonsoft.Json.Linq.JObject { Count: > 0 })
            {
                throw new OptionsException($"renderers.{name}: renderer '{name}' takes no options");
            }
        }
        TransformPipeline.Build(options.Transforms, registry);
        return options;
    }

    /// <summary>Refuses an <c>interval</c> shorter than <paramref name="eventType"/> takes (<see cref="Contracts.EventTypeInfo.ShortestInterval"/>), naming the bound.</summary>
    public static void CheckInterval(ProfilingOptions options, Contracts.EventTypeInfo eventType)
    {
        if (options.Interval is { } interval && interval < eventType.ShortestInterval)
        {
            throw new OptionsException($"interval: {Durations.Format(interval)} is shorter than {eventType.Name} takes; its shortest is {Durations.Format(eventType.ShortestInterval)}");
        }
    }
}
