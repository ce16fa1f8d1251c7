using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.FlamegraphPage;

namespace Pluggable.Plugins.Diffgraph;

/// <summary>
/// A comparison of two profiles (before, after) on the flamegraph page: frames as wide as in "after" (or in both,
/// as an option), red where a frame's share grew, blue where it shrank, the deeper the colour the larger the change;
/// frames only on one side are marked. The page keeps all its features (zoom, search, reverse, transforms applied
/// to both sides alike).
/// </summary>
public sealed class DiffgraphRenderer : IRenderer
{
    public RendererInfo Info { get; } = new("diffgraph", "html", "text/html; charset=utf-8", 2, "Differential flamegraph of two profiles (before, after)", typeof(DiffgraphOptions)) { Role = RendererRole.Diff };

    public async Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken)
    {
        var options = OptionsBinder.Bind<DiffgraphOptions>(request.Options, "renderers.diffgraph");
        var (before, after) = (request.Profiles[0].Metadata, request.Profiles[1].Metadata);
        var title = $"diff of {after.Event}: {Describe(before)} → {Describe(after)}";
        var pageOptions = new JObject { ["normalize"] = options.Normalize, ["union"] = options.Union };
        await PageTemplate.WriteAsync(output, title, json => PageData.Write(json, request.Untransformed, request.Profiles, request.Transforms, pageOptions), cancellationToken);
    }

    private static string Describe(Core.Profiles.ProfileMetadata metadata) =>
        metadata.Start is { } start ? $"{metadata.TargetName ?? metadata.Event} at {start:yyyy-MM-dd HH:mm:ss}" : metadata.TargetName ?? metadata.Event;
}
