using Pluggable.Core.Profiles;

namespace Pluggable.Testing;

/// <summary>How much of a profile's weight passes through frames whose names contain a text.</summary>
public static class Shares
{
    /// <summary>The total weight of the stacks that contain a frame matching <paramref name="frameText"/> (each stack counted once).</summary>
    public static long WeightThrough(this StackProfile profile, string frameText) =>
        profile.Stacks.Where(s => profile.FrameNames(s).Any(name => name.Contains(frameText, StringComparison.Ordinal))).Sum(s => s.Weight);

    /// <summary>A short description of the heaviest stacks, for assertion messages.</summary>
    public static string Top(this StackProfile profile, int count = 8) =>
        string.Join("\n", profile.Stacks.OrderByDescending(s => s.Weight).Take(count)
            .Select(s => $"{s.Weight,14}  {string.Join(";", profile.FrameNames(s).TakeLast(5))}"));
}
