using System.Net;
using System.Text;
using Newtonsoft.Json;

namespace Pluggable.FlamegraphPage;

/// <summary>
/// The page template (Page/flamegraph.html) with three placeholders: <c>{{TITLE}}</c>, replaced by HTML-escaped text;
/// <c>/*TRANSFORMS*/</c>, replaced by Page/transforms.js; and <c>/*DATA*/null</c>, replaced by the profile as JSON
/// whose strings escape <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c> and quotes, so that no frame name can close the script
/// element or inject markup. The flamegraph and the diffgraph renderers both write this one page.
/// </summary>
public static class PageTemplate
{
    private const string TitleMarker = "{{TITLE}}";
    private const string TransformsMarker = "/*TRANSFORMS*/";
    private const string DataMarker = "/*DATA*/null";

    private static readonly Lazy<(string Head, string Tail)> Parts = new(() =>
    {
        var template = Resource("page/flamegraph.html").Replace(TransformsMarker, Resource("page/transforms.js"), StringComparison.Ordinal);
        var at = template.IndexOf(DataMarker, StringComparison.Ordinal);
        return at < 0
            ? throw new InvalidOperationException("the flamegraph template has no data placeholder")
            : (template[..at], template[(at + DataMarker.Length)..]);
    });

    private static string Resource(string name)
    {
        using var stream = typeof(PageTemplate).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static async Task WriteAsync(Stream output, string title, Action<JsonWriter> writeData, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var (head, tail) = Parts.Value;
        await writer.WriteAsync(head.Replace(TitleMarker, WebUtility.HtmlEncode(title), StringComparison.Ordinal).AsMemory(), cancellationToken);
        using (var json = new JsonTextWriter(writer) { StringEscapeHandling = StringEscapeHandling.EscapeHtml, CloseOutput = false })
        {
            writeData(json);
            await json.FlushAsync(cancellationToken);
        }
        await writer.WriteAsync(tail.AsMemory(), cancellationToken);
    }
}
