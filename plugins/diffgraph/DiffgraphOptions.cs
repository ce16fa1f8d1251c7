namespace Pluggable.Plugins.Diffgraph;

/// <summary>Options of the diffgraph renderer (<c>renderers.diffgraph</c>).</summary>
public sealed class DiffgraphOptions
{
    /// <summary>Compare each side as a share of its own total, so a 10 s and a 30 s profile compare fairly. Default true; false compares absolute values.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>Draw frames as wide as both sides together, so frames only in "before" get room; default false: as wide as in "after".</summary>
    public bool Union { get; set; }
}
