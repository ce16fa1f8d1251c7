using System.Text.RegularExpressions;
using Pluggable.Core.Contracts;

namespace Pluggable.Core.Plugins;

/// <summary>The kinds of plugin a plugin assembly can hold; one assembly may hold several.</summary>
public static class KnownPluginKinds
{
    public const string Sampler = "sampler";
    public const string Transform = "transform";
    public const string Renderer = "renderer";
}

public enum PluginStatus
{
    Loaded,
    Failed,
}

/// <summary>A plugin folder as the API lists it: what it is, and whether it loaded.</summary>
public sealed record PluginRecord(string Name, string Version, IReadOnlyList<string> Kinds, PluginStatus Status, string? Error, string Path);

public sealed record RegisteredEventType(EventTypeInfo Info, ISampler Sampler, string Plugin);

public sealed record RegisteredRenderer(RendererInfo Info, IRenderer Renderer, string Plugin);

public sealed record RegisteredTransform(TransformInfo Info, ITransformFactory Factory, string Plugin);

/// <summary>
/// What the loaded plugins offer: event types (the dropdown and <c>GET /api/event-types</c>), renderers and transforms,
/// and every plugin with its status. Built once at start; immutable.
/// </summary>
public sealed class PluginRegistry
{
    internal PluginRegistry(
        IReadOnlyList<PluginRecord> plugins,
        IReadOnlyList<RegisteredEventType> eventTypes,
        IReadOnlyList<RegisteredRenderer> renderers,
        IReadOnlyList<RegisteredTransform> transforms)
    {
        Plugins = plugins;
        EventTypes = eventTypes;
        Renderers = renderers;
        Transforms = transforms;
    }

    public IReadOnlyList<PluginRecord> Plugins { get; }

    public IReadOnlyList<RegisteredEventType> EventTypes { get; }

    public IReadOnlyList<RegisteredRenderer> Renderers { get; }

    public IReadOnlyList<RegisteredTransform> Transforms { get; }

    public RegisteredEventType? FindEventType(string name) => EventTypes.FirstOrDefault(e => e.Info.Name == name);

    public RegisteredRenderer? FindRenderer(string name) => Renderers.FirstOrDefault(r => r.Info.Name == name);

    /// <summary>The renderer the host uses for a role: of those that declare it, the one with the highest priority, the first loaded among equals.</summary>
    public RegisteredRenderer? RendererFor(RendererRole role) =>
        Renderers.Where(r => r.Info.Role == role).OrderByDescending(r => r.Info.Priority).FirstOrDefault();

    public RegisteredTransform? FindTransform(string type) => Transforms.FirstOrDefault(t => t.Info.Type == type);

    /// <summary>"cpu, alloc, lock", for messages that list what is known.</summary>
    public string EventTypeNames => Known(EventTypes.Select(e => e.Info.Name));

    /// <summary>"flamegraph, diffgraph, ...", for messages that list what is known.</summary>
    public string RendererNames => Known(Renderers.Select(r => r.Info.Name));

    /// <summary>"filter, remove, ...", for messages that list what is known.</summary>
    public string TransformTypes => Known(Transforms.Select(t => t.Info.Type));

    private static string Known(IEnumerable<string> names) => string.Join(", ", names) is { Length: > 0 } list ? list : "(none loaded)";
}

/// <summary>Collects plugins as the host loads them, refusing what would make the registry ambiguous.</summary>
public sealed partial class PluginRegistryBuilder
{
    private readonly List<PluginRecord> _plugins = [];
    private readonly List<RegisteredEventType> _eventTypes = [];
    private readonly List<RegisteredRenderer> _renderers = [];
    private readonly List<RegisteredTransform> _transforms = [];

    /// <summary>
    /// Adds a plugin's instances. If any of them clashes with what is already registered (an event type, renderer or
    /// transform of the same name) or has a name unfit for file names, none of them is added and the plugin is listed as failed.
    /// </summary>
    /// <returns>The plugin's record, loaded or failed.</returns>
    public PluginRecord AddLoaded(string name, string version, string path, IReadOnlyList<object> instances)
    {
        var eventTypes = new List<RegisteredEventType>();
        var renderers = new List<RegisteredRenderer>();
        var transforms = new List<RegisteredTransform>();
        var kinds = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var instance in instances)
        {
            if (instance is ISampler sampler)
            {
                kinds.Add(KnownPluginKinds.Sampler);
                eventTypes.AddRange(sampler.EventTypes.Select(info => new RegisteredEventType(info, sampler, name)));
            }
            if (instance is IRenderer renderer)
            {
                kinds.Add(KnownPluginKinds.Renderer);
                renderers.Add(new RegisteredRenderer(renderer.Info, renderer, name));
            }
            if (instance is ITransformFactory factory)
            {
                kinds.Add(KnownPluginKinds.Transform);
                transforms.Add(new RegisteredTransform(factory.Info, factory, name));
            }
        }

        var problem = FirstProblem(eventTypes, renderers, transforms);
        if (instances.Count == 0)
        {
            problem = "the assembly has no public ISampler, IRenderer or ITransformFactory with a usable constructor";
        }
        if (problem is not null)
        {
            return AddFailed(name, version, path, problem, kinds.ToArray());
        }
        _eventTypes.AddRange(eventTypes);
        _renderers.AddRange(renderers);
        _transforms.AddRange(transforms);
        var record = new PluginRecord(name, version, kinds.ToArray(), PluginStatus.Loaded, null, path);
        _plugins.Add(record);
        return record;
    }

    public PluginRecord AddFailed(string name, string version, string path, string error, IReadOnlyList<string>? kinds = null)
    {
        var record = new PluginRecord(name, version, kinds ?? [], PluginStatus.Failed, error, path);
        _plugins.Add(record);
        return record;
    }

    public PluginRegistry Build() => new(_plugins.ToArray(), _eventTypes.ToArray(), _renderers.ToArray(), _transforms.ToArray());

    private string? FirstProblem(List<RegisteredEventType> eventTypes, List<RegisteredRenderer> renderers, List<RegisteredTransform> transforms)
    {
        foreach (var name in eventTypes.Select(e => e.Info.Name).Concat(renderers.Select(r => r.Info.Name)))
        {
            if (!NamePattern().IsMatch(name))
            {
                return $"'{name}' is not a valid name: use lower-case letters, digits and '_', starting with a letter";
            }
        }
        foreach (var candidate in eventTypes)
        {
            if (_eventTypes.FirstOrDefault(e => e.Info.Name == candidate.Info.Name) is { } taken)
            {
                return $"event type '{candidate.Info.Name}' is already served by plugin '{taken.Plugin}'";
            }
        }
        foreach (var candidate in renderers)
        {
            if (_renderers.FirstOrDefault(r => r.Info.Name == candidate.Info.Name) is { } taken)
            {
                return $"renderer '{candidate.Info.Name}' is already provided by plugin '{taken.Plugin}'";
            }
        }
        foreach (var candidate in transforms)
        {
            if (_transforms.FirstOrDefault(t => t.Info.Type == candidate.Info.Type) is { } taken)
            {
                return $"transform '{candidate.Info.Type}' is already provided by plugin '{taken.Plugin}'";
            }
        }
        return null;
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex NamePattern();
}
