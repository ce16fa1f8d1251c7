using Pluggable.Testing;

namespace Pluggable.Plugins.Tests;

[CollectionDefinition(ProfilingCollection.Name, DisableParallelization = true)]
public sealed class ProfilingCollectionDefinition : ICollectionFixture<MachineWideProfilingLock>;
