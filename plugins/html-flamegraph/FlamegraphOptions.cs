namespace Pluggable.Plugins.HtmlFlamegraph;

/// <summary>Options of the flamegraph renderer (<c>renderers.flamegraph</c>).</summary>
public sealed class FlamegraphOptions
{
    /// <summary>Open the page reversed: the hottest leaves at the root, their callers above them. Default false.</summary>
    public bool Reverse { get; set; }
}
