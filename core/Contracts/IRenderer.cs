using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;

namespace Pluggable.Core.Contracts;

/// <summary>Turns one profile (a flamegraph, a report) or two (a diff: before, after) into a file of its format.</summary>
/// <remarks>Called from any thread, possibly concurrently. The host catches what it throws, deletes the partial output and fails the request naming the renderer.</remarks>
public interface IRenderer
{
    RendererInfo Info { get; }

    Task RenderAsync(RenderRequest request, Stream output, CancellationToken cancellationToken);
}

/// <summary>What a renderer makes.</summary>
/// <param name="Name">Lower-case identifier, also the kind of the stored file (e.g. <c>flamegraph</c>, <c>diffgraph</c>).</param>
/// <param name="FileExtension">Without the dot, e.g. <c>html</c>.</param>
/// <param name="ContentType">The MIME type the host serves the file with.</param>
/// <param name="Inputs">1 for a single profile, 2 for a comparison (before, after).</param>
/// <param name="Description">One line for the API's listing.</param>
/// <param name="OptionsType">The class this renderer's options (<c>renderers.&lt;name&gt;</c>) bind to, validated like a sampler's; null when it takes none.</param>
public sealed record RendererInfo(string Name, string FileExtension, string ContentType, int Inputs, string Description, Type? OptionsType = null)
{
    /// <summary>What the host uses this renderer for. Default <see cref="RendererRole.Export"/>.</summary>
    public RendererRole Role { get; init; } = RendererRole.Export;

    /// <summary>Among renderers of one role, the one with the highest is the host's choice; the first loaded among equals.</summary>
    public int Priority { get; init; }
}

/// <summary>What the host uses a renderer for.</summary>
public enum RendererRole
{
    /// <summary>A file of another format, made when asked (pprof, speedscope, the folded text).</summary>
    Export,

    /// <summary>The page made after every stop and opened from the list (a flamegraph): one input.</summary>
    Page,

    /// <summary>The comparison of two profiles the page and the API make by default (a diffgraph): two inputs.</summary>
    Diff,
}

/// <summary>The profiles to render and the options to render them with.</summary>
/// <param name="Profiles">One profile, or two (before, after) for a comparison; the transforms are already applied.</param>
/// <param name="Transforms">The transform specs that were applied, for the page to show.</param>
/// <param name="Options">This renderer's section of the options (<c>renderers.&lt;name&gt;</c>), possibly empty.</param>
public sealed record RenderRequest(IReadOnlyList<StackProfile> Profiles, JArray Transforms, JObject Options)
{
    /// <summary>The same profiles before the transforms, for a page that applies (and lets the user change) them itself. Equal to <see cref="Profiles"/> when none are given.</summary>
    public IReadOnlyList<StackProfile> Untransformed { get => field ?? Profiles; init; }
}
