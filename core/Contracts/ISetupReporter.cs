using System.Text.Json.Serialization;

namespace Pluggable.Core.Contracts;

/// <summary>
/// Optional, beside <see cref="ISampler"/>: a sampler that explains its own setup (the kernel settings, capabilities
/// and target facts its sessions depend on), so that <c>pluggable doctor</c>, <c>GET /api/doctor</c> and the page's
/// Setup panel say what the sampler itself will decide, from its own reads, instead of guessing at it.
/// </summary>
/// <remarks>
/// The host calls it from any thread, for every doctor request, and wraps the call: an exception becomes one failing
/// check naming the plugin, and the other samplers' checks are listed regardless.
/// </remarks>
public interface ISetupReporter
{
    /// <summary>
    /// What this sampler needs, each need checked now: on this machine, and, when <paramref name="target"/> is given, for
    /// that process. Cheap: no sampling, at most a few probing system calls.
    /// </summary>
    /// <param name="target">The process to check against, or null for the machine-wide checks only.</param>
    IReadOnlyList<SetupCheck> CheckSetup(TargetProcess? target);
}

/// <summary>How a setup check stands. The API spells them <c>pass</c>, <c>warn</c> and <c>fail</c>.</summary>
public enum SetupStatus
{
    /// <summary>Nothing to change.</summary>
    [JsonStringEnumMemberName("pass")]
    Pass,

    /// <summary>Works, with less (a costlier mode, fewer frames); the fix gets the rest.</summary>
    [JsonStringEnumMemberName("warn")]
    Warn,

    /// <summary>Something does not work until the fix is made.</summary>
    [JsonStringEnumMemberName("fail")]
    Fail,
}

/// <summary>One finding of a setup check: what was checked, how it stands, why it matters and what to change.</summary>
/// <param name="Name">What was checked, e.g. <c>perf_event_paranoid</c>: the name an operator would search for.</param>
/// <param name="Status">How it stands.</param>
/// <param name="Detail">What was found, e.g. <c>it is 2: per-thread events only</c>.</param>
/// <param name="Why">What it changes for profiling.</param>
/// <param name="Fix">The exact change (a command, a flag), when one helps; null when there is nothing to change.</param>
public sealed record SetupCheck(string Name, SetupStatus Status, string Detail, string Why, string? Fix = null);
