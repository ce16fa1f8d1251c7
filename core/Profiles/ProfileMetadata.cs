namespace Pluggable.Core.Profiles;

/// <summary>Units a profile's weights can be in; renderers format values by them.</summary>
public static class KnownUnits
{
    public const string Samples = "samples";
    public const string Bytes = "bytes";
    public const string Nanoseconds = "nanoseconds";
}

/// <summary>
/// What a profile is: the event, the unit of its weights, how and when it was sampled, and of which process.
/// Written as <c># key: value</c> header lines at the top of the folded text, so a raw TXT file describes itself.
/// </summary>
public sealed record ProfileMetadata
{
    /// <summary>The event type, e.g. <c>cpu</c> or <c>alloc</c>.</summary>
    public required string Event { get; init; }

    /// <summary>The unit of every stack's weight; one of <see cref="KnownUnits"/>.</summary>
    public string Unit { get; init; } = KnownUnits.Samples;

    /// <summary>
    /// How many sampling events the profile holds. Equals the total weight when the unit is samples;
    /// for bytes or nanoseconds it is the number of events behind those weights. Null when unknown.
    /// </summary>
    public long? Samples { get; init; }

    /// <summary>The sampling interval as the sampler states it, e.g. <c>100 Hz</c> or <c>~100 KB</c>.</summary>
    public string? Interval { get; init; }

    public int? TargetPid { get; init; }

    public string? TargetName { get; init; }

    public DateTimeOffset? Start { get; init; }

    public DateTimeOffset? End { get; init; }

    /// <summary>True when sampling ended early (the target exited, a limit was hit) and the profile holds what was collected until then.</summary>
    public bool Partial { get; init; }

    /// <summary>
    /// Anything else a sampler wants a reader to know, e.g. <c>mode: per-cpu</c> or <c>source: AllocationSampled</c>.
    /// Keys are lower-case words joined by dashes.
    /// </summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    public TimeSpan? Duration => Start is { } start && End is { } end ? end - start : null;

    /// <summary>
    /// The property the host sets on a profile with no samples or too few to trust, saying why and what to do
    /// (<see cref="Contracts.EventTypeInfo.LowConfidence"/>); the store's listing and the page show it.
    /// </summary>
    public const string LowConfidenceProperty = "low-confidence";

    /// <summary>The property a sampler sets when it stopped counting at the <c>maxSamples</c> option.</summary>
    public const string LimitProperty = "limit";

    /// <summary>This metadata with <see cref="LimitProperty"/> saying that samples past <paramref name="maxSamples"/> were dropped.</summary>
    public ProfileMetadata WithSampleLimit(long maxSamples) => this with
    {
        Properties = new Dictionary<string, string>(Properties)
        {
            [LimitProperty] = $"stopped counting at maxSamples ({maxSamples:N0}); later samples were dropped. Profile a shorter time or raise maxSamples",
        },
    };
}
