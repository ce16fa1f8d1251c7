namespace Pluggable.Plugins.Tests;

/// <summary>
/// Tests that profile a workload run one at a time: several sessions on one process would see each other's
/// allocations and threads, and on two cores they would steal each other's CPU.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProfilingCollection
{
    public const string Name = "profiling";
}
