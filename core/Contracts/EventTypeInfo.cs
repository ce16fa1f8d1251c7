namespace Pluggable.Core.Contracts;

/// <summary>An event type a sampler serves, as the dropdown and the API list it.</summary>
/// <param name="Name">Lower-case identifier, e.g. <c>cpu</c>: letters, digits and <c>_</c>, starting with a letter (it appears in file names).</param>
/// <param name="Unit">The unit of the profile's weights; one of <see cref="Profiles.KnownUnits"/>.</param>
/// <param name="Description">One line for the dropdown's hint.</param>
/// <param name="OptionsType">
/// The class that this event's section of the options (<c>events.&lt;name&gt;</c>) binds to, or null when it has none.
/// It needs a public parameterless constructor; DataAnnotations attributes and <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>
/// are checked when the host starts and on every start request.
/// </param>
public sealed record EventTypeInfo(string Name, string Unit, string Description, Type? OptionsType = null)
{
    /// <summary>
    /// Below this many samples a profile of this event type is marked low-confidence, with <see cref="FewSamples"/>
    /// (for CPU profiles at 100 Hz, 1000); 0 when any count but none is fine.
    /// </summary>
    public int ConfidentSamples { get; init; }

    /// <summary>
    /// Why a profile of this event type can come back empty, or with fewer than <see cref="ConfidentSamples"/>, and what
    /// to do: the sampler knows its event, the host only counts. Default <see cref="FewSamplesAdvice.Generic"/>.
    /// </summary>
    public FewSamplesAdvice FewSamples { get; init; } = FewSamplesAdvice.Generic;

    /// <summary>
    /// Why a profile of this event type with <paramref name="samples"/> samples is not to be trusted, and what to do; null
    /// when it is: it holds some, and at least <see cref="ConfidentSamples"/>. An empty profile is never trusted: it
    /// shows nothing, and the user needs to know whether that means the event never happened.
    /// </summary>
    public string? LowConfidence(long samples)
    {
        if (samples > 0 && samples >= ConfidentSamples)
        {
            return null;
        }
        var count = samples == 0 ? "no samples" : $"only {samples} samples";
        var aim = ConfidentSamples > 1 ? $" (aim for {ConfidentSamples}+)" : "";
        return $"{count}: {FewSamples.Cause}; {FewSamples.Fix}{aim}";
    }

    /// <summary>
    /// The shortest <c>interval</c> a session of this event type takes; a shorter one is refused, the bound named in the
    /// error. Default <see cref="DefaultShortestInterval"/>. A sampler that stops threads to sample them sets a longer one.
    /// </summary>
    public TimeSpan ShortestInterval { get; init; } = DefaultShortestInterval;

    /// <summary>
    /// How strongly this event type asks to be the one a start without an event type runs (the options' <c>event</c>
    /// overrides it): the available event type with the highest wins, the first loaded among equals. Default 0; a
    /// sampler of CPU time, what an operator means by "profile this", sets more.
    /// </summary>
    public int DefaultPriority { get; init; }

    /// <summary>100 µs (10 kHz): below it, sampling costs more than anything it could show.</summary>
    public static readonly TimeSpan DefaultShortestInterval = TimeSpan.FromMicroseconds(100);
}

/// <summary>Why a profile of an event type can hold no samples, or too few to trust, and what to do, for the warning such a profile carries.</summary>
/// <param name="Cause">The likely cause, as a clause: <c>no exception was thrown while sampling</c>.</param>
/// <param name="Fix">What to do, as a clause: <c>profile while the code that throws runs</c>.</param>
public sealed record FewSamplesAdvice(string Cause, string Fix)
{
    /// <summary>For an event type that declares none.</summary>
    public static FewSamplesAdvice Generic { get; } = new("the event was rare while sampling", "profile longer, while the target does the work to look at");
}

/// <summary>Whether an event type can be sampled, and when not, why and what to do about it.</summary>
public sealed record Availability(bool IsAvailable, string? Reason = null, string? Fix = null)
{
    public static Availability Available { get; } = new(true);

    public static Availability Unavailable(string reason, string? fix = null) => new(false, reason, fix);
}

/// <summary>The process being profiled.</summary>
/// <param name="Pid">Its process id.</param>
/// <param name="Name">Its process name.</param>
/// <param name="RuntimeVersion">Its .NET runtime version, when known (e.g. <c>10.0.12</c>).</param>
/// <param name="IsSelf">True when the target is the host's own process (the embedded case).</param>
public sealed record TargetProcess(int Pid, string Name, string? RuntimeVersion, bool IsSelf)
{
    /// <summary>The runtime's major version, or null when the runtime version is unknown.</summary>
    public int? RuntimeMajorVersion =>
        RuntimeVersion is { } version && Version.TryParse(version.Split('-', '+')[0], out var parsed) ? parsed.Major : null;
}
