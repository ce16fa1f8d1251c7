using Pluggable.Core.Contracts;
using Pluggable.Plugins.Perf;
using Pluggable.Plugins.Perf.Native;
using Pluggable.Procfs;

namespace Pluggable.Plugins.Tests.Perf;

/// <summary>cpu's setup checks say what the planner decides, from the same tries and reads, on a described machine and on this one.</summary>
public class PerfSetupTests
{
    private static readonly TargetProcess Target = new(4242, "shop", "10.0.12", IsSelf: false);

    /// <summary>A kernel that allows only per-thread events of user code, as perf_event_paranoid 2 does for a user without CAP_PERFMON.</summary>
    private static int PerThreadUserOnly(PerfEventAttr attr, int pid, int cpu) =>
        pid == -1 || (attr.Flags & (ulong)PerfFlags.ExcludeKernel) == 0 ? -Libc.EACCES : 1;

    private static (PerfPlanner Planner, PerfSetup Setup) Machine(Func<PerfEventAttr, int, int, int> answer, Dictionary<string, string> files, uint uid = 1000)
    {
        var proc = new ProcFiles(files.GetValueOrDefault, uid);
        var planner = new PerfPlanner(new FakeKernel(answer), proc);
        return (planner, new PerfSetup(planner, proc));
    }

    private static Dictionary<string, string> Files(string? paranoid = "2", string mlockKb = "516", string kptr = "0") => new Dictionary<string, string>
    {
        ["/proc/self/status"] = "Name:\ttest\nSeccomp:\t0\nCapEff:\t0000000000000000\n",
        ["/proc/4242/status"] = "Name:\tshop\nUid:\t1000\t1000\t1000\t1000\n",
        ["/proc/sys/kernel/perf_event_mlock_kb"] = mlockKb,
        ["/proc/sys/kernel/kptr_restrict"] = kptr,
    }.Concat(paranoid is null ? [] : [KeyValuePair.Create("/proc/sys/kernel/perf_event_paranoid", paranoid)]).ToDictionary();

    private static SetupCheck Named(IEnumerable<SetupCheck> checks, string name) => checks.Single(c => c.Name == name);

    [Fact]
    public void A_missing_paranoid_file_is_the_kernel_default_in_the_plan_and_in_the_checks_alike()
    {
        var (planner, setup) = Machine(PerThreadUserOnly, Files(paranoid: null));

        var (plan, _) = planner.Plan(Target, new CpuOptions());
        var checks = setup.Check(Target);

        planner.Paranoid.Should().Be(PerfPlanner.DefaultParanoid).And.Be(2);
        plan!.Notes["kernel"].Should().StartWith("not sampled: perf_event_paranoid is 2;");
        Named(checks, "perf_event_paranoid").Should().BeEquivalentTo(new { Status = SetupStatus.Warn, Detail = "it is 2: per-thread events only, which every context switch of the target pays for" });
        Named(checks, "kernel frames").Should().BeEquivalentTo(new { Status = SetupStatus.Warn, Detail = plan.Notes["kernel"] });
    }

    [Fact]
    public void A_refused_perf_event_open_fails_with_the_reason_and_fix_the_probe_gives()
    {
        var (planner, setup) = Machine((_, _, _) => -Libc.EACCES, Files(paranoid: "3"));

        var probe = planner.Plan(Target, new CpuOptions()).Availability;
        var check = Named(setup.Check(Target), "perf_event_paranoid");

        check.Status.Should().Be(SetupStatus.Fail);
        check.Detail.Should().Be($"it is 3, and perf_event_open is refused: {probe.Reason}");
        check.Fix.Should().Be(probe.Fix);
        setup.Check(Target).Select(c => c.Name).Should().NotContain(["hardware counters", "kernel frames"], "without a plan there is no clock or kernel sampling to report");
    }

    [Fact]
    public void Per_CPU_events_pass_and_the_clock_says_cpu_clock_without_a_cycles_counter()
    {
        var (_, setup) = Machine((attr, _, _) => attr.Type == PerfType.Hardware ? -Libc.ENOENT : 1, Files(paranoid: "0"));

        var checks = setup.Check(null);

        Named(checks, "perf_event_paranoid").Should().BeEquivalentTo(new { Status = SetupStatus.Pass, Detail = "it is 0: per-CPU events are allowed" });
        Named(checks, "hardware counters").Detail.Should().Be("no hardware cycles counter: cpu samples on cpu-clock");
        checks.Select(c => c.Name).Should().NotContain("perf maps", "naming a target's managed frames is checked only for a target");
    }

    [Fact]
    public void Locked_memory_below_the_kernel_default_warns_with_the_sysctl_unless_root()
    {
        var low = Named(Machine(PerThreadUserOnly, Files(mlockKb: "256")).Setup.Check(null), "perf_event_mlock_kb");
        low.Status.Should().Be(SetupStatus.Warn);
        low.Fix.Should().StartWith($"sysctl -w kernel.perf_event_mlock_kb={PerfSetup.KernelDefaultMlockKilobytes}");

        Named(Machine(PerThreadUserOnly, Files(mlockKb: "256"), uid: 0).Setup.Check(null), "perf_event_mlock_kb").Status.Should().Be(SetupStatus.Pass);
    }

    [Fact]
    public void Hidden_kernel_addresses_warn_that_kernel_frames_show_as_kernel()
    {
        var check = Named(Machine((_, _, _) => 1, Files(kptr: "2")).Setup.Check(null), "kernel frames");

        check.Status.Should().Be(SetupStatus.Warn);
        check.Fix.Should().Be("sysctl -w kernel.kptr_restrict=0");
    }

    /// <summary>The machine as it is, read here without the plugin: the sysctls from /proc, perf events by asking the kernel directly.</summary>
    [SkippableFact]
    public void The_checks_report_this_machines_paranoid_level_mode_counters_and_locked_memory()
    {
        Skip.IfNot(File.Exists("/proc/sys/kernel/perf_event_paranoid"), "needs a kernel with perf events");
        var paranoid = File.ReadAllText("/proc/sys/kernel/perf_event_paranoid").Trim();
        var mlockKb = File.ReadAllText("/proc/sys/kernel/perf_event_mlock_kb").Trim();

        var checks = new PerfSampler().CheckSetup(null);

        var level = Named(checks, "perf_event_paranoid");
        level.Detail.Should().StartWith($"it is {paranoid}");
        (level.Status == SetupStatus.Pass).Should().Be(MachinePerf.AllowsPerCpuEvents, "per-CPU events are what a pass means");
        Named(checks, "hardware counters").Detail.Should().Be(MachinePerf.HasCyclesCounter ? "a hardware cycles counter: cpu samples by cycles" : "no hardware cycles counter: cpu samples on cpu-clock");
        Named(checks, "perf_event_mlock_kb").Detail.Should().StartWith($"it is {mlockKb} KB");
    }
}
