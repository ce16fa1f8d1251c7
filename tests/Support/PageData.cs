using FluentAssertions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;

namespace Pluggable.Testing;

/// <summary>Reads the data a generated page embeds (<c>const DATA = {...};</c>), to check what the page will draw.</summary>
public static class EmbeddedPageData
{
    private const string Marker = "const DATA = ";

    public static JObject Read(string html)
    {
        var start = html.IndexOf(Marker, StringComparison.Ordinal);
        start.Should().BeGreaterThan(0, "a generated page embeds its data");
        var end = html.IndexOf(";\n", start, StringComparison.Ordinal);
        return JObject.Parse(html[(start + Marker.Length)..end]);
    }

    /// <summary>The names of the frames the page can draw.</summary>
    public static IReadOnlyList<string> FrameNames(string html) => Read(html)["tree"]!["frames"]!.Values<string>().Select(n => n!).ToArray();

    /// <summary>
    /// The folded stacks of one side of a packed tree (<c>DATA.tree</c> or <c>DATA.view</c>), decoded as the page's own
    /// script does: a node with self weight ends a stack.
    /// </summary>
    public static Dictionary<string, long> Stacks(JToken tree, int side = 0)
    {
        var frames = tree["frames"]!.Values<string>().ToArray();
        var kinds = tree["kinds"]!.Values<int>().ToArray();
        var count = tree["count"]!.Value<int>();
        var f = Varints(tree["f"]!.Value<string>()!);
        var climbs = Varints(tree["d"]!.Value<string>()!);
        var selfPairs = Varints(tree["s"]![side]!.Value<string>()!);
        f.Should().HaveCount(count);
        climbs.Should().HaveCount(count);
        var self = new long[count];
        for (int pair = 0, node = -1; pair < selfPairs.Count; pair += 2)
        {
            node += (int)selfPairs[pair] + 1;
            self[node] = selfPairs[pair + 1];
        }

        var stacks = new Dictionary<string, long>();
        var path = new List<string>();
        var depth = -1;
        for (var i = 0; i < count; i++)
        {
            depth += 1 - (int)climbs[i];
            path.RemoveRange(depth, path.Count - depth);
            path.Add(FoldedFormat.Encode(new Frame(frames[f[i]]!, (FrameKind)kinds[f[i]])));
            if (self[i] > 0)
            {
                stacks[string.Join(";", path)] = self[i];
            }
        }
        return stacks;
    }

    private static List<long> Varints(string base64)
    {
        var values = new List<long>();
        var bytes = Convert.FromBase64String(base64);
        for (var at = 0; at < bytes.Length;)
        {
            long value = 0;
            var shift = 0;
            byte b;
            do
            {
                b = bytes[at++];
                value |= (long)(b & 0x7f) << shift;
                shift += 7;
            }
            while ((b & 0x80) != 0);
            values.Add(value);
        }
        return values;
    }
}
