using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Profiles;

namespace Pluggable.Core.Plugins;

/// <summary>An ordered list of transforms built from their JSON specs, applied one after another.</summary>
public sealed class TransformPipeline
{
    private readonly IReadOnlyList<(string Location, string Type, ITransform Transform)> _steps;

    private TransformPipeline(IReadOnlyList<(string, string, ITransform)> steps) => _steps = steps;

    public int Count => _steps.Count;

    /// <summary>Builds every spec with its registered factory, skipping those with <c>"enabled": false</c>; the first bad one throws <see cref="OptionsException"/> naming its position, e.g. <c>transforms[2] (replace): ...</c>.</summary>
    public static TransformPipeline Build(JArray specs, PluginRegistry registry)
    {
        var steps = new List<(string, string, ITransform)>();
        for (var i = 0; i < specs.Count; i++)
        {
            var location = $"transforms[{i}]";
            if (specs[i] is not JObject spec)
            {
                throw new OptionsException($"{location}: expected an object such as {{\"type\": \"replace\", ...}}");
            }
            if (!IsEnabled(spec))
            {
                continue;
            }
            var type = spec["type"]?.Type == JTokenType.String ? spec["type"]!.Value<string>()! : null;
            if (type is null)
            {
                throw new OptionsException($"{location}: has no \"type\"");
            }
            var registered = registry.FindTransform(type)
                ?? throw new OptionsException($"{location}: unknown transform type '{type}'; known: {registry.TransformTypes}");
            try
            {
                steps.Add((location, type, registered.Factory.Create(spec)));
            }
            catch (OptionsException e)
            {
                throw e.At($"{location} ({type})");
            }
            catch (Exception e)
            {
                throw new OptionsException($"{location} ({type}): the transform plugin '{registered.Plugin}' failed: {e.Message}", e);
            }
        }
        return new TransformPipeline(steps);
    }

    /// <summary>False for a spec with <c>"enabled": false</c>: kept in the list, switched off (the page's toggle).</summary>
    public static bool IsEnabled(JObject spec) => spec["enabled"] is not { Type: JTokenType.Boolean } enabled || enabled.Value<bool>();

    /// <summary>
    /// Applies every transform in order. A pattern that takes too long on a frame throws <see cref="OptionsException"/>
    /// naming the transform's position (the spec is at fault, not the plugin); any other failure throws
    /// <see cref="InvalidOperationException"/> naming the transform.
    /// </summary>
    public StackProfile Apply(StackProfile profile)
    {
        foreach (var (location, type, transform) in _steps)
        {
            try
            {
                profile = transform.Apply(profile);
            }
            catch (RegexMatchTimeoutException e)
            {
                throw new OptionsException($"{location} ({type}): the pattern '{e.Pattern}' took longer than {e.MatchTimeout.TotalSeconds:0.###} s on a frame; simplify it (nested repeats such as (a+)+ can backtrack for ever)", e);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"transform '{type}' failed: {e.Message}", e);
            }
        }
        return profile;
    }
}
