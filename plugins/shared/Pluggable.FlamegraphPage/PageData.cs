using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;

namespace Pluggable.FlamegraphPage;

/// <summary>
/// The profile(s) as the page reads them: every frame name once, and the call tree in depth-first order (frame id,
/// depth, and the self weight of each profile), so shared prefixes are written once and the page can rebuild every
/// stack (a node with self weight ends one). One profile makes a flamegraph; two (before, after) a comparison.
/// </summary>
/// <remarks>
/// The tree's numbers are packed (<see cref="PackedTree"/>): a JavaScript array literal of millions of numbers takes
/// Chromium longer to parse than everything else the page does at 200k stacks, a base64 string almost nothing. The
/// tree is already in the order the page would build it in, so the page draws it as it is; it decodes stacks only when
/// the user changes transforms or reverses. With transforms the page applies itself, the page also gets the tree
/// after them (<c>view</c>), for the same reason.
/// </remarks>
public static class PageData
{
    /// <summary>The transform types the page's own JavaScript (Page/transforms.js) applies; a list with any other type is applied here instead.</summary>
    public static readonly IReadOnlySet<string> PageTransformTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "filter", "remove", "replace", "hide", "collapse-recursion", "truncate", "last",
        "fold-async", "name-lambdas", "strip-generics", "group-threads",
    };

    /// <summary>Writes the page's data.</summary>
    /// <param name="json">Where to write.</param>
    /// <param name="untransformed">The profiles as sampled.</param>
    /// <param name="transformed">The same profiles with <paramref name="transforms"/> applied.</param>
    /// <param name="transforms">The transform specs.</param>
    /// <param name="options">The renderer's options, passed to the page (e.g. <c>reverse</c>).</param>
    public static void Write(JsonWriter json, IReadOnlyList<StackProfile> untransformed, IReadOnlyList<StackProfile> transformed, JArray transforms, JObject options)
    {
        // The page applies the transforms itself when it can, so the user can change them live; otherwise it gets their result.
        var pageApplies = transforms.All(t => t is JObject spec && spec["type"]?.Type == JTokenType.String && PageTransformTypes.Contains(spec.Value<string>("type")!));
        var profiles = pageApplies ? untransformed : transformed;
        json.WriteStartObject();

        json.WritePropertyName("profiles");
        json.WriteStartArray();
        foreach (var profile in profiles)
        {
            WriteMeta(json, profile);
        }
        json.WriteEndArray();

        json.WritePropertyName("tree");
        PackedTree.Write(json, CallTree.Build(profiles));
        if (pageApplies && transforms.Cast<JObject>().Any(TransformPipeline.IsEnabled))
        {
            json.WritePropertyName("view");
            PackedTree.Write(json, CallTree.Build(transformed));
        }

        json.WritePropertyName("transforms");
        transforms.WriteTo(json);
        json.WritePropertyName("transformsApplied");
        json.WriteValue(!pageApplies && transforms.Count > 0);
        json.WritePropertyName("options");
        options.WriteTo(json);
        json.WriteEndObject();
    }

    private static void WriteMeta(JsonWriter json, StackProfile profile)
    {
        var metadata = profile.Metadata;
        json.WriteStartObject();
        Property(json, "event", metadata.Event);
        Property(json, "unit", metadata.Unit);
        json.WritePropertyName("total");
        json.WriteValue(profile.TotalWeight);
        json.WritePropertyName("samples");
        json.WriteValue(profile.SampleCount);
        Property(json, "interval", metadata.Interval);
        Property(json, "target", metadata.TargetName);
        if (metadata.TargetPid is { } pid)
        {
            json.WritePropertyName("pid");
            json.WriteValue(pid);
        }
        Property(json, "start", metadata.Start?.ToString("O"));
        Property(json, "end", metadata.End?.ToString("O"));
        json.WritePropertyName("partial");
        json.WriteValue(metadata.Partial);
        json.WritePropertyName("properties");
        json.WriteStartObject();
        foreach (var (key, value) in metadata.Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Property(json, key, value);
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Property(JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WritePropertyName(name);
            json.WriteValue(value);
        }
    }
}
