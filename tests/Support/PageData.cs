using FluentAssertions;
using Newtonsoft.Json.Linq;

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
    public static IReadOnlyList<string> FrameNames(string html) => Read(html)["frames"]!.Values<string>().Select(n => n!).ToArray();
}
