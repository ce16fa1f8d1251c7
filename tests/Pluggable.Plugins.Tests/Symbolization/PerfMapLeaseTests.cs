using Microsoft.Extensions.Logging.Abstractions;
using Pluggable.Core.Platform;
using Pluggable.Symbolization;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.Symbolization;

/// <summary>A target's perf map stays on while any session uses it, and goes off (its file removed) with the last.</summary>
[Collection(ProfilingCollection.Name)]
public class PerfMapLeaseTests
{
    [Fact]
    public async Task Two_sessions_on_one_target_keep_its_perf_map_on_until_the_last_one_ends()
    {
        await using var target = await FixtureProcess.StartAsync("idle");
        var first = ManagedSymbolSession.Begin(target.Pid, NullLogger.Instance);
        var second = ManagedSymbolSession.Begin(target.Pid, NullLogger.Instance);
        var onWhileBoth = target.WritesPerfMap;

        first.Restore();
        var onWhileSecond = target.WritesPerfMap;
        second.Restore();

        onWhileBoth.Should().BeTrue();
        onWhileSecond.Should().BeTrue("the second session still names frames from it");
        target.WritesPerfMap.Should().BeFalse();
        File.Exists(target.PerfMapPath).Should().BeFalse("no one had a perf map before");
    }

    [Fact]
    public async Task A_perf_map_a_session_turns_on_is_readable_by_its_owner_only()
    {
        await using var target = await FixtureProcess.StartAsync("idle");
        var session = ManagedSymbolSession.Begin(target.Pid, NullLogger.Instance);
        try
        {
            UnixFile.Status(target.PerfMapPath)!.Value.Mode.Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, "it lists the target's methods");
        }
        finally
        {
            session.Restore();
        }
    }
}
