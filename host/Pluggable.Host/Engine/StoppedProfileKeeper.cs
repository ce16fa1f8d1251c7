using Microsoft.Extensions.Logging;
using Pluggable.Core.Contracts;
using Pluggable.Core.Options;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Core.Store;

namespace Pluggable.Host.Engine;

/// <summary>
/// What a stop keeps of a session: its profile, completed with what the host knows, stored raw and rendered as the
/// page, and the warnings the user should read. Only a profile that cannot be stored fails the stop; a page that
/// cannot be made is a warning, since the raw profile is already safe.
/// </summary>
internal sealed class StoppedProfileKeeper(ProfileStore store, ProfileRendering rendering, PluginRegistry registry, TimeProvider clock, ILogger logger)
{
    public async Task<StopResult> KeepAsync(StackProfile sampled, RunningSession session, string stoppedBy, CancellationToken cancellationToken)
    {
        var profile = sampled.WithMetadata(Complete(sampled, session, stoppedBy));
        var raw = await StoreRawAsync(profile, session, cancellationToken);
        var files = new List<StoredFile> { raw };
        var warnings = new List<string>();
        var (page, noPage) = await RenderPageAsync(raw, profile, session.Options, cancellationToken);
        if (page is not null)
        {
            files.Add(page);
        }
        if (noPage is not null)
        {
            warnings.Add(noPage);
        }
        if (raw.LowConfidence is { } lowConfidence)
        {
            warnings.Add($"low confidence: {lowConfidence}");
        }
        if (profile.Metadata.Properties.TryGetValue(ProfileMetadata.LimitProperty, out var limit))
        {
            warnings.Add($"limit: {limit}");
        }
        var result = new StopResult(raw.Id, raw.Event, raw.Samples, profile.Metadata.Partial, stoppedBy, files, warnings) { LowConfidence = raw.LowConfidence };
        logger.LogInformation("Stopped {Event} ({StoppedBy}): profile {Id}, {Samples} samples{Partial}", raw.Event, stoppedBy, raw.Id, raw.Samples, result.Partial ? ", partial" : "");
        return result;
    }

    /// <summary>Fills in what the sampler left open (target, times) and marks what the user should know (an early stop, too few samples).</summary>
    private ProfileMetadata Complete(StackProfile sampled, RunningSession session, string stoppedBy)
    {
        var metadata = sampled.Metadata;
        var properties = new Dictionary<string, string>(metadata.Properties);
        if (stoppedBy != StoppedBy.Request)
        {
            properties["stopped-by"] = stoppedBy;
        }
        if (session.EventType.Info.LowConfidence(sampled.SampleCount) is { } lowConfidence)
        {
            properties[ProfileMetadata.LowConfidenceProperty] = lowConfidence;
        }
        return metadata with
        {
            TargetPid = metadata.TargetPid ?? session.Target.Pid,
            TargetName = metadata.TargetName ?? session.Target.Name,
            Start = metadata.Start ?? session.Since,
            End = metadata.End ?? clock.GetUtcNow(),
            Partial = metadata.Partial || stoppedBy != StoppedBy.Request,
            Properties = properties,
        };
    }

    private async Task<StoredFile> StoreRawAsync(StackProfile profile, RunningSession session, CancellationToken cancellationToken)
    {
        try
        {
            return await store.SaveRawAsync(profile, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Could not store the {Event} profile in {Folder}", session.EventType.Info.Name, store.Folder);
            throw new ProfilerException(ProfilerErrorKind.StorageFailed, $"the profile could not be stored in {store.Folder}: {e.Message}", e);
        }
    }

    /// <summary>The page of the stored profile, or why there is none.</summary>
    private async Task<(StoredFile? Page, string? WhyNone)> RenderPageAsync(StoredFile raw, StackProfile profile, ProfilingOptions options, CancellationToken cancellationToken)
    {
        if (registry.RendererFor(RendererRole.Page) is not { } page)
        {
            return (null, "no loaded renderer makes pages (the page role); only the raw profile was stored");
        }
        try
        {
            return (await rendering.RenderAsync([raw.Id], [profile], page.Info.Name, options, cancellationToken), null);
        }
        catch (ProfilerException e)
        {
            return (null, $"the profile is stored, but rendering it failed: {e.Message}");
        }
    }
}
