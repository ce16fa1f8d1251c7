using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.FlamegraphPage;

namespace Pluggable.Plugins.HtmlFlamegraph;

/// <summary>Renders a profile as one self-contained, interactive HTML page (canvas, zoom, search, tooltips).</summary>
public sealed class FlamegraphRenderer : IRenderer
{
    public RendererInfo Info { get; } = new("flamegraph", "html", "text/html; charset=utf-8", 1, "Interactive flamegraph page, self-contained", typeof(FlamegraphOptions)) { Role = RendererRole.Page };

    public async Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken)
    {
        var options = OptionsBinder.Bind<FlamegraphOptions>(request.Options, "renderers.flamegraph");
        var profile = request.Profiles[0];
        var title = $"{profile.Metadata.Event} flamegraph" + (profile.Metadata.TargetName is { } name ? $" of {name}" : "");
        var pageOptions = new JObject { ["reverse"] = options.Reverse };
        await PageTemplate.WriteAsync(output, title, json => PageData.Write(json, request.Untransformed, request.Profiles, request.Transforms, pageOptions), cancellationToken);
    }
}
