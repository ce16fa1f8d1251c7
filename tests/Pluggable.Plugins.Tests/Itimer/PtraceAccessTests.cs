using Pluggable.Core.Contracts;
using Pluggable.Plugins.Itimer;
using Pluggable.Procfs;

namespace Pluggable.Plugins.Tests.Itimer;

/// <summary>Each reason ptrace can be denied, mapped to the message and fix the dropdown shows, and the setup checks that say the same.</summary>
public class PtraceAccessTests
{
    private static readonly TargetProcess Other = new(4242, "shop", "10.0.12", IsSelf: false);
    private static readonly TargetProcess Self = new(4242, "host", "10.0.12", IsSelf: true);

    private static PtraceAccess Access(int? scope, uint me = 1000, uint owner = 1000, string capEff = "0000000000000000") =>
        new(new ProcFiles(path => path switch
        {
            "/proc/sys/kernel/yama/ptrace_scope" => scope is null ? null : $"{scope}\n",
            "/proc/self/status" => $"Name:\thost\nCapEff:\t{capEff}\n",
            "/proc/4242/status" => $"Name:\tshop\nUid:\t{owner}\t{owner}\t{owner}\t{owner}\n",
            _ => null,
        }, me));

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

    private static SetupCheck Named(IEnumerable<SetupCheck> checks, string name) => checks.Single(c => c.Name == name);

    [Fact]
    public void Without_Yama_the_access_and_the_setup_checks_both_read_scope_0()
    {
        var access = Access(scope: null);

        access.Check(Other).IsAvailable.Should().BeTrue();
        Named(access.CheckSetup(null), "ptrace_scope").Should().BeEquivalentTo(new { Status = SetupStatus.Pass, Detail = "it is 0: a process may trace the others of its user" });
    }

    [Fact]
    public void Scope_1_warns_for_the_machine_and_fails_for_another_process_with_the_reason_the_probe_gives()
    {
        var access = Access(scope: 1);

        Named(access.CheckSetup(null), "ptrace_scope").Status.Should().Be(SetupStatus.Warn);
        var verdict = Named(access.CheckSetup(Other), "ptrace of pid 4242");
        verdict.Status.Should().Be(SetupStatus.Fail);
        verdict.Detail.Should().Be(access.Check(Other).Reason);
        verdict.Fix.Should().Be(access.Check(Other).Fix);
        Named(access.CheckSetup(Self), "ptrace of pid 4242").Status.Should().Be(SetupStatus.Pass);
    }

    [Fact]
    public void Scope_2_fails_without_CAP_SYS_PTRACE_and_passes_with_it()
    {
        Named(Access(scope: 2).CheckSetup(null), "ptrace_scope").Status.Should().Be(SetupStatus.Fail);
        Named(Access(scope: 2, capEff: "0000000000080000").CheckSetup(null), "ptrace_scope").Should().BeEquivalentTo(new { Status = SetupStatus.Pass, Detail = "it is 2, and the profiler has CAP_SYS_PTRACE" });
    }

    /// <summary>The machine as it is, read here independently of the plugin: the sysctl, this process's user and capabilities.</summary>
    [SkippableFact]
    public void The_setup_checks_report_this_machines_ptrace_scope_and_verdict()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "needs /proc");
        var yama = "/proc/sys/kernel/yama/ptrace_scope";
        var scope = File.Exists(yama) ? int.Parse(File.ReadAllText(yama).Trim()) : 0;
        var capEff = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("CapEff:")).Split('\t')[1];
        var privileged = Environment.UserName == "root" || (Convert.ToUInt64(capEff, 16) & (1UL << 19)) != 0;
        var ownProcess = new TargetProcess(Environment.ProcessId, "tests", null, IsSelf: false);

        var checks = PtraceAccess.ForThisProcess().CheckSetup(ownProcess);

        var scopeCheck = Named(checks, "ptrace_scope");
        scopeCheck.Detail.Should().StartWith($"it is {scope}");
        scopeCheck.Status.Should().Be(scope == 0 || (privileged && scope < 3) ? SetupStatus.Pass : scope == 1 ? SetupStatus.Warn : SetupStatus.Fail);
        Named(checks, $"ptrace of pid {Environment.ProcessId}").Status.Should().Be(scope == 0 || (privileged && scope < 3) ? SetupStatus.Pass : SetupStatus.Fail);
    }
}
