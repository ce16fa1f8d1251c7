using Pluggable.Core.Contracts;
using Pluggable.Core.Store;

namespace Pluggable.Host.Engine;

/// <summary>An event type as the dropdown shows it: what it is, who serves it, and whether it can run now.</summary>
public sealed record EventTypeStatus(string Name, string Plugin, string Unit, string Description, bool Available, string? Reason, string? Fix)
{
    /// <summary>True for the event type a start without one runs (see <see cref="ProfilerEngine.DefaultEventType"/>).</summary>
    public bool Default { get; init; }
}

/// <summary>Whether a session runs, and if so which, since when, against which process.</summary>
public sealed record ProfilerStatus(string State, string? Event, DateTimeOffset? Since, TargetProcess Target, StopResult? LastStop)
{
    /// <summary>False once the target has exited: a new session would find nothing to sample.</summary>
    public bool TargetRunning { get; init; } = true;

    public const string Idle = "idle";
    public const string Running = "running";

    /// <summary>Stopped sampling; the profile is being stored and rendered. A start now is refused.</summary>
    public const string Stopping = "stopping";
}

/// <summary>What a stop stored: the profile's id, its sample count, the files written, and anything the user should know.</summary>
/// <param name="Id">The new profile's id.</param>
/// <param name="Event">Its event type.</param>
/// <param name="Samples">Its sample count.</param>
/// <param name="Partial">True when the profile ended early (target exited, a limit hit).</param>
/// <param name="StoppedBy">What ended the session: <c>request</c>, or the limit that did (<c>maxDuration</c>).</param>
/// <param name="Files">The stored files: the raw text, then what was rendered.</param>
/// <param name="Warnings">What went wrong without losing the profile, e.g. a renderer that failed.</param>
public sealed record StopResult(int Id, string Event, long Samples, bool Partial, string StoppedBy, IReadOnlyList<StoredFile> Files, IReadOnlyList<string> Warnings)
{
    /// <summary>Set when the profile has no samples or too few to trust: the likely cause and what to do, as its event type's sampler says.</summary>
    public string? LowConfidence { get; init; }
}
