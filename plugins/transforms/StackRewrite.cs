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
        private readonly int[] _copies = Enumerable.Repeat(-1, profile.Frames.Count).ToArray();

        public StackProfile Profile { get; } = profile;

        public StackProfileBuilder Builder { get; } = builder;

        /// <summary>A memo per input frame id, for the transform being applied (its meaning is the transform's).</summary>
        public Dictionary<int, int> PerFrame { get; } = [];

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

        /// <summary>The id of a renamed frame (keeping its kind) in the new profile.</summary>
        public int Renamed(int frame, string name) => Builder.Intern(name, Profile.Frames[frame].Kind);
    }
}

/// <summary>A transform that renames frames, or hides them (a null name), each distinct frame decided once.</summary>
internal abstract class FrameRewrite : StackRewrite
{
    protected sealed override bool Rewrite(Context context, int[] stack, List<int> output)
    {
        foreach (var frame in stack)
        {
            if (!context.PerFrame.TryGetValue(frame, out var id))
            {
                var name = context.Name(frame);
                var renamed = Rename(name);
                id = renamed is null ? -1 : renamed == name ? context.Copy(frame) : context.Renamed(frame, renamed);
                context.PerFrame[frame] = id;
            }
            if (id >= 0)
            {
                output.Add(id);
            }
        }
        return output.Count > 0;
    }

    /// <summary>The frame's new name, the same name to keep it, or null to hide it.</summary>
    protected abstract string? Rename(string name);
}
