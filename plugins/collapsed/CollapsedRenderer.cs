using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.Collapsed;

/// <summary>The folded text with the transforms applied: what the flamegraph shows, as text for other tools (flamegraph.pl, speedscope, grep).</summary>
public sealed class CollapsedRenderer : IRenderer
{
    public RendererInfo Info { get; } = new("collapsed", "txt", "text/plain; charset=utf-8", 1, "Folded stacks with the transforms applied");

    public Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken) =>
        FoldedFormat.WriteAsync(request.Profiles[0], output, cancellationToken);
}
