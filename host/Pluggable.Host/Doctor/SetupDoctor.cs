using Pluggable.Core.Contracts;
using Pluggable.Core.Plugins;
using Pluggable.Host.Engine;

namespace Pluggable.Host.Doctor;

/// <summary>What one loaded sampler reports about its setup: its own checks, then one for each of its event types.</summary>
/// <param name="Plugin">The plugin the sampler came in.</param>
/// <param name="Checks">The sampler's checks (<see cref="ISetupReporter"/>), then whether each of its event types can sample the target.</param>
public sealed record SamplerSetup(string Plugin, IReadOnlyList<SetupCheck> Checks);

/// <summary>
/// The setup report of <c>pluggable doctor</c>, <c>GET /api/doctor</c> and the page's Setup panel: what each loaded
/// sampler says it needs, and each event type's own probe. The host checks nothing of the machine itself: a sampler
/// knows what it needs and decides by the same reads, so the report and the sampler cannot disagree.
/// </summary>
public static class SetupDoctor
{
    /// <param name="registry">The loaded plugins.</param>
    /// <param name="target">The process to check for, or null for the machine-wide checks only.</param>
    /// <param name="eventTypes">The event types as probed for <paramref name="target"/>; left out without a target.</param>
    public static IReadOnlyList<SamplerSetup> Run(PluginRegistry registry, TargetProcess? target, IReadOnlyList<EventTypeStatus> eventTypes) =>
        registry.EventTypes.GroupBy(e => e.Sampler).Select(sampler =>
        {
            var plugin = sampler.First().Plugin;
            var ownChecks = sampler.Key is ISetupReporter reporter ? Guarded(reporter, plugin, target) : [];
            var probes = target is null ? [] : eventTypes.Where(e => sampler.Any(s => s.Info.Name == e.Name)).Select(e => e.Available
                ? new SetupCheck($"event type {e.Name}", SetupStatus.Pass, $"{e.Name} can sample pid {target.Pid}", e.Description)
                : new SetupCheck($"event type {e.Name}", SetupStatus.Fail, e.Reason ?? "unavailable", e.Description, e.Fix));
            return new SamplerSetup(plugin, [.. ownChecks, .. probes]);
        }).ToArray();

    /// <summary>True when any check fails: <c>pluggable doctor</c>'s exit code.</summary>
    public static bool AnyFails(IEnumerable<SamplerSetup> report) => report.Any(s => s.Checks.Any(c => c.Status == SetupStatus.Fail));

    private static IReadOnlyList<SetupCheck> Guarded(ISetupReporter reporter, string plugin, TargetProcess? target)
    {
        try
        {
            return reporter.CheckSetup(target);
        }
        catch (Exception e)
        {
            return [new SetupCheck("setup checks", SetupStatus.Fail, $"plugin '{plugin}' failed to check its setup: {e.GetType().Name}: {e.Message}", "the sampler could not say what it needs")];
        }
    }
}
