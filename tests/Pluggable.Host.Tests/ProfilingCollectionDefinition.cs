using Pluggable.Testing;

namespace Pluggable.Host.Tests;

[CollectionDefinition(ProfilingCollection.Name, DisableParallelization = true)]
public sealed class ProfilingCollectionDefinition : ICollectionFixture<MachineWideProfilingLock>;
