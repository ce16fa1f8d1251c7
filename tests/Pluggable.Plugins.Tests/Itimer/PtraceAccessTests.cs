using Pluggable.Core.Contracts;
using Pluggable.Plugins.Itimer;

namespace Pluggable.Plugins.Tests.Itimer;

/// <summary>Each reason ptrace can be denied, mapped to the message and fix the dropdown shows.</summary>
public class PtraceAccessTests
{
    private static readonly TargetProcess Other = new(4242, "shop", "10.0.12", IsSelf: false);
    private static readonly TargetProcess Self = new(4242, "host", "10.0.12", IsSelf: true);

    private static PtraceAccess Access(int scope, uint me = 1000, uint owner = 1000, string capEff = "0000000000000000") =>
        new(path => path switch
        {
            "/proc/sys/kernel/yama/ptrace_scope" => $"{scope}\n",
            "/proc/self/status" => $"Name:\thost\nCapEff:\t{capEff}\n",
            "/proc/4242/status" => $"Name:\tshop\nUid:\t{owner}\t{owner}\t{owner}\t{owner}\n",
            _ => null,
        }, me);

    [Fact]
    public void Same_user_with_scope_0_may_trace()
    {
        Access(scope: 0).Check(Other).IsAvailable.Should().BeTrue();
    }

    [Fact]
    public void Scope_1_refuses_another_process_and_says_the_sysctl_and_the_capability()
    {
        var availability = Access(scope: 1).Check(Other);

        availability.IsAvailable.Should().BeFalse();
        availability.Reason.Should().Contain("kernel.yama.ptrace_scope is 1");
        availability.Fix.Should().Contain("sysctl -w kernel.yama.ptrace_scope=0").And.Contain("--cap-add SYS_PTRACE");
    }

    [Fact]
    public void Scope_1_lets_the_host_profile_itself_through_its_own_sampler_process()
    {
        Access(scope: 1).Check(Self).IsAvailable.Should().BeTrue();
    }

    [Fact]
    public void Scope_2_needs_CAP_SYS_PTRACE_which_root_or_the_capability_gives()
    {
        Access(scope: 2).Check(Self).IsAvailable.Should().BeFalse();
        Access(scope: 2, me: 0, owner: 0).Check(Other).IsAvailable.Should().BeTrue();
        Access(scope: 2, capEff: "0000000000080000").Check(Other).IsAvailable.Should().BeTrue();
    }

    [Fact]
    public void Another_users_process_is_refused_naming_its_owner()
    {
        var availability = Access(scope: 0, owner: 33).Check(Other);

        availability.IsAvailable.Should().BeFalse();
        availability.Reason.Should().Contain("belongs to another user (uid 33)");
    }

    [Fact]
    public void Scope_3_is_off_until_reboot()
    {
        var availability = Access(scope: 3, me: 0).Check(Other);

        availability.IsAvailable.Should().BeFalse();
        availability.Reason.Should().Contain("ptrace is off for everyone");
    }
}
