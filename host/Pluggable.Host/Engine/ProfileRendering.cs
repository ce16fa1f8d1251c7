using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Core.Store;

namespace Pluggable.Host.Engine;

/// <summary>
/// Turns profiles into stored files of a renderer's format: the options' transforms applied, the renderer chosen by
/// name or by the role it declares, a renderer that throws reported naming its plugin.
/// </summary>
internal sealed class ProfileRendering(PluginRegistry registry, ProfileStore store, ILogger logger)
{
    /// <summary>Renders stored profile <paramref name="id"/> by the named renderer, or else the page renderer.</summary>
    public async Task<StoredFile> RenderStoredAsync(int id, ProfilingOptions options, string? renderer, CancellationToken cancellationToken)
    {
        using var hold = store.Hold(id);
        var profile = await ReadStoredAsync(id, cancellationToken);
        return await RenderAsync([id], [profile], renderer ?? RendererNameFor(RendererRole.Page), options, cancellationToken);
    }

    /// <summary>Renders a comparison of two stored profiles of the same unit by the named renderer, or else the diff renderer.</summary>
    public async Task<StoredFile> DiffStoredAsync(int before, int after, ProfilingOptions options, string? renderer, CancellationToken cancellationToken)
    {
        using var hold = store.Hold(before, after);
        var profiles = new[] { await ReadStoredAsync(before, cancellationToken), await ReadStoredAsync(after, cancellationToken) };
        if (profiles[0].Metadata.Unit != profiles[1].Metadata.Unit)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest,
                $"profile {before} is in {profiles[0].Metadata.Unit} and profile {after} in {profiles[1].Metadata.Unit}; only profiles of the same unit can be compared");
        }
        return await RenderAsync([before, after], profiles, renderer ?? RendererNameFor(RendererRole.Diff), options, cancellationToken);
    }

    /// <summary>Renders <paramref name="profiles"/> (stored as <paramref name="ids"/>) with <paramref name="options"/>' transforms and renderer section.</summary>
    public async Task<StoredFile> RenderAsync(IReadOnlyList<int> ids, IReadOnlyList<StackProfile> profiles, string rendererName, ProfilingOptions options, CancellationToken cancellationToken)
    {
        var renderer = registry.FindRenderer(rendererName)
            ?? throw new ProfilerException(ProfilerErrorKind.InvalidRequest, $"unknown renderer '{rendererName}'; known: {registry.RendererNames}");
        if (renderer.Info.Inputs != profiles.Count)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, $"renderer '{rendererName}' takes {renderer.Info.Inputs} profile(s), not {profiles.Count}");
        }
        var request = new RenderRequest(Transform(profiles, options), options.Transforms, options.RendererSection(rendererName)) { Untransformed = profiles };
        try
        {
            return await store.SaveRenderedAsync(ids, profiles[^1].Metadata.Event, renderer.Info.Name, renderer.Info.FileExtension,
                (stream, ct) => renderer.Renderer.RenderAsync(request, stream, ct), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Renderer {Renderer} of plugin {Plugin} failed", rendererName, renderer.Plugin);
            throw new ProfilerException(ProfilerErrorKind.PluginFailed, $"renderer '{rendererName}' (plugin '{renderer.Plugin}') failed: {e.Message}", e);
        }
    }

    /// <summary>Applies the options' transforms: a bad spec refuses the request, a transform that throws fails it.</summary>
    private StackProfile[] Transform(IReadOnlyList<StackProfile> profiles, ProfilingOptions options)
    {
        try
        {
            var pipeline = TransformPipeline.Build(options.Transforms, registry);
            return profiles.Select(pipeline.Apply).ToArray();
        }
        catch (OptionsException e)
        {
            throw new ProfilerException(ProfilerErrorKind.InvalidRequest, e.Message, e);
        }
        catch (InvalidOperationException e)
        {
            throw new ProfilerException(ProfilerErrorKind.PluginFailed, e.Message, e);
        }
    }

    private string RendererNameFor(RendererRole role) =>
        registry.RendererFor(role)?.Info.Name
        ?? throw new ProfilerException(ProfilerErrorKind.InvalidRequest, $"no loaded renderer declares the {role.ToString().ToLowerInvariant()} role; name one with \"renderer\"");

    private async Task<StackProfile> ReadStoredAsync(int id, CancellationToken cancellationToken)
    {
        var read = await store.ReadProfileAsync(id, cancellationToken)
            ?? throw new ProfilerException(ProfilerErrorKind.NotFound, $"no stored profile has id {id}");
        if (read.Errors.Count > 0)
        {
            logger.LogWarning("Profile {Id} has {Count} unreadable lines, first {Error}", id, read.Errors.Count, read.Errors[0]);
        }
        return read.Profile;
    }
}
