using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.HtmlFlamegraph;

/// <summary>
/// The profile as the page reads it: every frame name once, and the call tree as three parallel arrays in depth-first
/// order (frame id, depth, total weight), so that shared prefixes are written once. Self weights and the stacks
/// themselves follow from those: a node's self weight is its total minus its children's.
/// </summary>
public static class PageData
{
    public static void Write(JsonWriter json, StackProfile profile, JArray transforms)
    {
        var tree = CallTree.Build(profile);
        var metadata = profile.Metadata;
        json.WriteStartObject();

        json.WritePropertyName("meta");
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

        json.WritePropertyName("frames");
        json.WriteStartArray();
        foreach (var frame in profile.Frames)
        {
            json.WriteValue(frame.Name);
        }
        json.WriteEndArray();

        json.WritePropertyName("kinds");
        json.WriteStartArray();
        foreach (var frame in profile.Frames)
        {
            json.WriteValue((int)frame.Kind);
        }
        json.WriteEndArray();

        var frames = new List<int>(tree.Count);
        var depths = new List<int>(tree.Count);
        var totals = new List<long>(tree.Count);
        tree.VisitDepthFirst((node, depth) =>
        {
            frames.Add(tree.FrameOf(node));
            depths.Add(depth);
            totals.Add(tree.TotalOf(node));
        });
        json.WritePropertyName("nodes");
        json.WriteStartObject();
        Array(json, "f", frames);
        Array(json, "d", depths);
        Array(json, "w", totals);
        json.WriteEndObject();

        json.WritePropertyName("transforms");
        transforms.WriteTo(json);
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

    private static void Array<T>(JsonWriter json, string name, List<T> values)
    {
        json.WritePropertyName(name);
        json.WriteStartArray();
        foreach (var value in values)
        {
            json.WriteValue(value);
        }
        json.WriteEndArray();
    }
}
