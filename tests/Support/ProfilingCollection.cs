namespace Pluggable.Testing;

/// <summary>
/// The xunit collection of tests that profile a workload: they run one at a time, because several sessions on one
/// process would see each other's allocations and threads, and on two cores they would steal each other's CPU.
/// Each test assembly declares it (xunit finds definitions only in the test assembly): see ProfilingCollectionDefinition.
/// </summary>
public static class ProfilingCollection
{
    public const string Name = "profiling";
}
