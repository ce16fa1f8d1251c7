using FluentAssertions;
using Pluggable.Testing;

namespace Pluggable.Host.Tests;

/// <summary>
/// The standalone host gives its start-up's and each session's garbage back to the system; a host embedded in a
/// service never forces a collection that would pause the service's requests.
/// </summary>
public sealed class IdleMemoryTests : IDisposable
{
    private readonly Action _collect = IdleMemory.Return;
    private int _returns;

    public IdleMemoryTests() => IdleMemory.Return = () => Interlocked.Increment(ref _returns);

    public void Dispose() => IdleMemory.Return = _collect;

    [Fact]
    public async Task A_host_asked_to_return_memory_does_so_once_listening_and_after_each_stop()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted")], options: new ProfilerHostOptions { ReturnMemoryWhenIdle = true });
        _returns.Should().Be(1, "start-up's garbage goes once the server listens");

        for (var session = 0; session < 2; session++)
        {
            await host.Profiler.StartAsync("scripted");
            await host.Profiler.StopAsync();
        }

        _returns.Should().Be(3, "each stop returns what its session left, after its files are stored");
    }

    [Fact]
    public async Task A_host_with_the_default_options_never_forces_a_collection()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted")]);

        await host.Profiler.StartAsync("scripted");
        await host.Profiler.StopAsync();

        _returns.Should().Be(0, "an embedded host's forced collection would pause the service's requests");
    }
}
