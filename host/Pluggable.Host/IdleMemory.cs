namespace Pluggable.Host;

/// <summary>Gives the memory the GC holds but no longer uses back to the system (see <see cref="ProfilerHostOptions.ReturnMemoryWhenIdle"/>).</summary>
internal static class IdleMemory
{
    /// <summary>
    /// A blocking, compacting collection of every generation in aggressive mode, the one that also decommits the free
    /// space and resets the gen0 budget; a testing seam, replaced by tests to count the calls.
    /// </summary>
    internal static Action Return { get; set; } = () => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}
