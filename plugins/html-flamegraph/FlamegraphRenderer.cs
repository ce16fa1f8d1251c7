using System.Net;
using System.Text;
using Newtonsoft.Json;
using Pluggable.Core.Contracts;

namespace Pluggable.Plugins.HtmlFlamegraph;

/// <summary>Renders a profile as one self-contained, interactive HTML page (canvas, zoom, search, tooltips).</summary>
public sealed class FlamegraphRenderer : IRenderer
{
    public RendererInfo Info { get; } = new("flamegraph", "html", "text/html; charset=utf-8", 1, "Interactive flamegraph page, self-contained");

    public async Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken)
    {
        var profile = request.Profiles[0];
        var title = $"{profile.Metadata.Event} flamegraph" + (profile.Metadata.TargetName is { } name ? $" of {name}" : "");
        await PageTemplate.WriteAsync(output, title, json => PageData.Write(json, profile, request.Transforms), cancellationToken);
    }
}

/// <summary>
/// The page template (Page/flamegraph.html) with two placeholders: <c>{{TITLE}}</c>, replaced by HTML-escaped text,
/// and <c>/*DATA*/null</c>, replaced by the profile as JSON whose strings escape <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c> and
/// quotes, so that no frame name can close the script element or inject markup.
/// </summary>
public static class PageTemplate
{
    private const string TitleMarker = "{{TITLE}}";
    private const string DataMarker = "/*DATA*/null";

    private static readonly Lazy<(string Head, string Tail)> Parts = new(() =>
    {
        using var stream = typeof(PageTemplate).Assembly.GetManifestResourceStream("page/flamegraph.html")
            ?? throw new InvalidOperationException("the flamegraph template is not embedded");
        using var reader = new StreamReader(stream);
        var template = reader.ReadToEnd();
        var at = template.IndexOf(DataMarker, StringComparison.Ordinal);
        return at < 0
            ? throw new InvalidOperationException("the flamegraph template has no data placeholder")
            : (template[..at], template[(at + DataMarker.Length)..]);
    });

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
