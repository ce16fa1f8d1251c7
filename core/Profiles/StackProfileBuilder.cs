using System.Runtime.InteropServices;

namespace Pluggable.Core.Profiles;

/// <summary>
/// Collects samples into a <see cref="StackProfile"/>: interns frames and sums the weight of identical stacks,
/// so a million samples of a hundred distinct stacks cost a hundred entries. Not thread-safe.
/// </summary>
public sealed class StackProfileBuilder
{
    private readonly List<Frame> _frames = [];
    // One table per kind, keyed by name, so a name read from text can be looked up as a span, without a string.
    private readonly Dictionary<string, int>[] _frameIds = Enum.GetValues<FrameKind>().Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToArray();
    private readonly Dictionary<int[], int> _stackIndex = new(SequenceComparer<int>.Instance);
    private readonly List<int[]> _stacks = [];
    private readonly List<long> _weights = [];

    public StackProfileBuilder(ProfileMetadata metadata) => Metadata = metadata;

    /// <summary>The metadata the built profile will carry; samplers replace it when they learn more (end time, partial).</summary>
    public ProfileMetadata Metadata { get; set; }

    public int StackCount => _stacks.Count;

    /// <summary>Returns the id of a frame, adding it on first sight. Semicolons and line breaks would break the folded format, so they become <c>:</c> and a space.</summary>
    public int Intern(string name, FrameKind kind = FrameKind.Managed) => Intern(name.AsSpan(), kind);

    /// <summary>Returns the id of a frame named by a span (a slice of a line being parsed); a string is made only for a new frame.</summary>
    public int Intern(ReadOnlySpan<char> name, FrameKind kind = FrameKind.Managed)
    {
        var ids = _frameIds[(int)kind];
        if (name.IndexOfAny(";\r\n") >= 0)
        {
            return Intern(Sanitize(name.ToString()).AsSpan(), kind);
        }
        if (ids.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var id))
        {
            return id;
        }
        id = _frames.Count;
        var text = name.ToString();
        _frames.Add(new Frame(text, kind));
        ids.Add(text, id);
        return id;
    }

    /// <summary>Adds weight to a stack of frame ids (root first). Zero and negative weights are ignored.</summary>
    public void Add(ReadOnlySpan<int> stack, long weight)
    {
        if (weight <= 0)
        {
            return;
        }
        var lookup = _stackIndex.GetAlternateLookup<ReadOnlySpan<int>>();
        if (lookup.TryGetValue(stack, out var index))
        {
            _weights[index] += weight;
            return;
        }
        var frames = stack.ToArray();
        _stackIndex.Add(frames, _stacks.Count);
        _stacks.Add(frames);
        _weights.Add(weight);
    }

    /// <summary>Adds weight to a stack given by frame names (root first), all of one kind.</summary>
    public void Add(IEnumerable<string> stack, long weight, FrameKind kind = FrameKind.Managed)
    {
        var ids = stack.Select(name => Intern(name, kind)).ToArray();
        Add(ids, weight);
    }

    /// <summary>Adds every stack of another profile, re-interning its frames.</summary>
    public void AddAll(StackProfile profile)
    {
        var map = profile.Frames.Select(f => Intern(f.Name, f.Kind)).ToArray();
        var buffer = new List<int>();
        foreach (var stack in profile.Stacks)
        {
            buffer.Clear();
            foreach (var id in stack.Frames)
            {
                buffer.Add(map[id]);
            }
            Add(CollectionsMarshal.AsSpan(buffer), stack.Weight);
        }
    }

    public StackProfile Build()
    {
        var stacks = new WeightedStack[_stacks.Count];
        for (var i = 0; i < stacks.Length; i++)
        {
            stacks[i] = new WeightedStack(_stacks[i], _weights[i]);
        }
        return new StackProfile(Metadata, _frames.ToArray(), stacks);
    }

    private static string Sanitize(string name) =>
        name.AsSpan().IndexOfAny(";\r\n") < 0 ? name : name.Replace(';', ':').Replace('\r', ' ').Replace('\n', ' ');
}
