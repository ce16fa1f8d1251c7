namespace Pluggable.Core.Profiles;

/// <summary>One distinct stack and its weight. <see cref="Frames"/> are frame ids, root first; treat the array as read-only.</summary>
public readonly record struct WeightedStack(int[] Frames, long Weight);

/// <summary>
/// A sampled profile: every frame name once (ids index <see cref="Frames"/>), every distinct stack once with its
/// summed weight, and the metadata that says what the weights mean. Immutable; build one with
/// <see cref="StackProfileBuilder"/> and read or write it as folded text with <see cref="FoldedFormat"/>.
/// </summary>
public sealed class StackProfile
{
    internal StackProfile(ProfileMetadata metadata, IReadOnlyList<Frame> frames, IReadOnlyList<WeightedStack> stacks)
    {
        Metadata = metadata;
        Frames = frames;
        Stacks = stacks;
        TotalWeight = stacks.Sum(s => s.Weight);
    }

    public ProfileMetadata Metadata { get; }

    public IReadOnlyList<Frame> Frames { get; }

    public IReadOnlyList<WeightedStack> Stacks { get; }

    public long TotalWeight { get; }

    /// <summary>The number of sampling events: the metadata's count when the sampler gave one, else the total weight for sample units, else the number of distinct stacks.</summary>
    public long SampleCount => Metadata.Samples ?? (Metadata.Unit == KnownUnits.Samples ? TotalWeight : Stacks.Count);

    /// <summary>The frame names of one stack, root first.</summary>
    public IEnumerable<string> FrameNames(WeightedStack stack) => stack.Frames.Select(id => Frames[id].Name);

    /// <summary>A copy of this profile with other metadata; frames and stacks are shared.</summary>
    public StackProfile WithMetadata(ProfileMetadata metadata) => new(metadata, Frames, Stacks);
}
