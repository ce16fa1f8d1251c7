using System.Text.RegularExpressions;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;

namespace Pluggable.Plugins.Transforms;

/// <summary>
/// The shape every built-in transform has: a stack (frames root first) in, a stack out or none (dropped). Frames are
/// handled by id, so per-frame work (a regex on a name) is done once per distinct frame, not once per stack.
/// </summary>
internal abstract class StackRewrite : ITransform
{
    public StackProfile Apply(StackProfile profile)
    {
        var builder = new StackProfileBuilder(profile.Metadata);
        var context = new Context(profile, builder);
        var output = new List<int>(64);
        foreach (var stack in profile.Stacks)
        {
            output.Clear();
            if (Rewrite(context, stack.Frames, output))
            {
                builder.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(output), stack.Weight);
            }
        }
        return builder.Build();
    }

    /// <summary>Writes the new stack's frame ids (of <see cref="Context.Builder"/>) to <paramref name="output"/>; returns false to drop the stack.</summary>
    protected abstract bool Rewrite(Context context, int[] stack, List<int> output);

    protected sealed class Context(StackProfile profile, StackProfileBuilder builder)
    {
        private const int Undecided = int.MinValue;

        private readonly int[] _copies = Enumerable.Repeat(-1, profile.Frames.Count).ToArray();

        // What the transform decided for each input frame id (its meaning is the transform's), or Undecided.
        private readonly int[] _decided = Enumerable.Repeat(Undecided, profile.Frames.Count).ToArray();

        public StackProfile Profile { get; } = profile;

        public StackProfileBuilder Builder { get; } = builder;

        public string Name(int frame) => Profile.Frames[frame].Name;

        /// <summary>The id of the same frame in the new profile.</summary>
        public int Copy(int frame)
        {
            if (_copies[frame] < 0)
            {
                _copies[frame] = Builder.Intern(Profile.Frames[frame].Name, Profile.Frames[frame].Kind);
            }
            return _copies[frame];
        }

        /// <summary>Whether the frame's name matches; the regex runs once per distinct frame.</summary>
        public bool Matches(Regex what, int frame)
        {
            if (_decided[frame] == Undecided)
            {
                _decided[frame] = what.IsMatch(Name(frame)) ? 1 : 0;
            }
            return _decided[frame] == 1;
        }

        /// <summary>The frame's id in the new profile after renaming, or -1 when hidden; the rename runs once per distinct frame.</summary>
        public int Renamed(int frame, Func<string, string?> rename)
        {
            if (_decided[frame] == Undecided)
            {
                var name = Name(frame);
                var renamed = rename(name);
                _decided[frame] = renamed is null ? -1 : renamed == name ? Copy(frame) : Builder.Intern(renamed, Profile.Frames[frame].Kind);
            }
            return _decided[frame];
        }
    }
}

/// <summary>A transform that renames frames, or hides them (a null name), each distinct frame decided once.</summary>
internal sealed class RenameFrames(Func<string, string?> rename) : StackRewrite
{
    protected override bool Rewrite(Context context, int[] stack, List<int> output)
    {
        foreach (var frame in stack)
        {
            if (context.Renamed(frame, rename) is var id and >= 0)
            {
                output.Add(id);
            }
        }
        return output.Count > 0;
    }
}
