using Pluggable.Core.Profiles;

namespace Pluggable.GroundTruth;

/// <summary>What a CPU profile says about where time goes, in the terms two profilers can be compared by.</summary>
public static class FrameShares
{
    /// <summary>The names a thread's first frame has: glibc's thread start, and the executable's entry for the main thread.</summary>
    private static readonly HashSet<string> ThreadEntries = new(StringComparer.Ordinal) { "clone3", "__clone3", "clone", "__clone", "start_thread", "_start", "__libc_start_main", "__libc_start_call_main" };

    /// <summary>True when the stack's root frame is where a thread begins: the walk was whole.</summary>
    public static bool StartsAtThreadEntry(this StackProfile profile, WeightedStack stack) =>
        stack.Frames.Length > 0 && ThreadEntries.Contains(profile.Frames[stack.Frames[0]].Name);

    /// <summary>The share of the weight whose stacks start at a thread's entry.</summary>
    public static double WholeStackShare(this StackProfile profile) =>
        profile.TotalWeight == 0 ? 0 : (double)profile.Stacks.Where(s => profile.StartsAtThreadEntry(s)).Sum(s => s.Weight) / profile.TotalWeight;

    /// <summary>Each frame's inclusive share: the weight of the stacks it is on (once per stack, however often), over the total.</summary>
    public static Dictionary<string, double> InclusiveShares(this StackProfile profile, FrameKind kind = FrameKind.Managed)
    {
        var weights = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var stack in profile.Stacks)
        {
            foreach (var name in stack.Frames.Distinct().Where(f => profile.Frames[f].Kind == kind).Select(f => profile.Frames[f].Name))
            {
                weights[name] = weights.GetValueOrDefault(name) + stack.Weight;
            }
        }
        return weights.ToDictionary(w => w.Key, w => profile.TotalWeight == 0 ? 0 : (double)w.Value / profile.TotalWeight, StringComparer.Ordinal);
    }
}
