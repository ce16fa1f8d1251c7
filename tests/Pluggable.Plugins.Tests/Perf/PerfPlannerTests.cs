using Pluggable.Core.Contracts;
using Pluggable.Core.Platform;
using Pluggable.Plugins.Perf;
using Pluggable.Plugins.Perf.Native;
using Pluggable.Procfs;

namespace Pluggable.Plugins.Tests.Perf;

/// <summary>Each way the kernel refuses perf events, mapped to the reason and the fix the dropdown shows.</summary>
public class PerfPlannerTests
{
    private static readonly TargetProcess Target = new(4242, "shop", "10.0.12", IsSelf: false);

    private static PerfPlanner Planner(Func<PerfEventAttr, int, int, int> answer, int paranoid = 2, string seccomp = "0", string ownerUid = "0") =>
        new(new FakeKernel(answer), new ProcFiles(path => path switch
        {
            "/proc/sys/kernel/perf_event_paranoid" => paranoid.ToString(),
            "/proc/self/status" => $"Name:\ttest\nSeccomp:\t{seccomp}\n",
            "/proc/4242/status" => $"Name:\tshop\nUid:\t{ownerUid}\t{ownerUid}\t{ownerUid}\t{ownerUid}\n",
            _ => null,
        }, effectiveUserId: 0));

    private static bool IsHardware(PerfEventAttr attr) => attr.Type == PerfType.Hardware;

    [Fact]
    public void Without_hardware_counters_it_falls_back_to_cpu_clock_and_says_so()
    {
        var (plan, availability) = Planner((attr, _, _) => IsHardware(attr) ? -Libc.ENOENT : 1).Plan(Target, new CpuOptions());

        availability.IsAvailable.Should().BeTrue();
        plan!.HardwareCycles.Should().BeFalse();
        plan.Notes["clock"].Should().Be("cpu-clock (this machine has no hardware cycles counter)");
        plan.Mode.Should().Be(PerfMode.PerCpu);
    }

    [Fact]
    public void When_per_CPU_events_are_refused_it_samples_per_thread_and_says_why()
    {
        var (plan, _) = Planner((_, pid, _) => pid == -1 ? -Libc.EACCES : 1).Plan(Target, new CpuOptions());

        plan!.Mode.Should().Be(PerfMode.PerThread);
        plan.Notes["mode"].Should().StartWith("per-thread (per-CPU events need perf_event_paranoid <= 0 or CAP_PERFMON");
    }

    [Fact]
    public void When_kernel_sampling_is_refused_it_samples_user_code_only_and_says_how_to_see_the_kernel()
    {
        var (plan, _) = Planner((attr, pid, _) => pid == -1 || (attr.Flags & (ulong)PerfFlags.ExcludeKernel) == 0 ? -Libc.EACCES : 1).Plan(Target, new CpuOptions());

        plan!.Kernel.Should().BeFalse();
        plan.Notes["kernel"].Should().Be("not sampled: perf_event_paranoid is 2; sysctl -w kernel.perf_event_paranoid=1 (or CAP_PERFMON) to see kernel frames");
    }

    [Fact]
    public void Paranoid_3_is_unavailable_with_the_sysctl_to_run_and_itimer_as_the_alternative()
    {
        var (plan, availability) = Planner((_, _, _) => -Libc.EACCES, paranoid: 3).Plan(Target, new CpuOptions());

        plan.Should().BeNull();
        availability.IsAvailable.Should().BeFalse();
        availability.Reason.Should().Be("perf_event_paranoid is 3: perf events are off for processes without CAP_PERFMON.");
        availability.Fix.Should().Contain("sysctl -w kernel.perf_event_paranoid=1").And.Contain("itimer");
    }

    [Fact]
    public void A_seccomp_filter_is_unavailable_with_the_docker_flags()
    {
        var (_, availability) = Planner((_, _, _) => -Libc.EPERM, seccomp: "2").Plan(Target, new CpuOptions());

        availability.Reason.Should().Contain("seccomp filter");
        availability.Fix.Should().Contain("--cap-add PERFMON").And.Contain("seccomp profile").And.Contain("itimer");
    }

    [Fact]
    public void No_perf_events_at_all_points_to_itimer()
    {
        var (_, availability) = Planner((_, _, _) => -Libc.ENOSYS).Plan(Target, new CpuOptions());

        availability.IsAvailable.Should().BeFalse();
        availability.Reason.Should().Contain("perf_event_open does not exist here");
        availability.Fix.Should().Contain("itimer");
    }

    [Fact]
    public void Forcing_per_CPU_mode_where_it_is_refused_is_unavailable_rather_than_silently_per_thread()
    {
        var (plan, availability) = Planner((_, pid, _) => pid == -1 ? -Libc.EACCES : 1).Plan(Target, new CpuOptions { Mode = "cpu" });

        plan.Should().BeNull();
        availability.Reason.Should().Contain("per-CPU events");
    }

    [SkippableFact]
    public void A_real_probe_on_this_machine_finds_cpu_available_as_root()
    {
        Skip.IfNot(UnixFile.EffectiveUserId == 0, "needs root");

        var availability = new PerfSampler().Probe("cpu", new TargetProcess(Environment.ProcessId, "self", "10.0.12", true));

        availability.IsAvailable.Should().BeTrue(availability.Reason);
    }
}
