using Pluggable.Core.Contracts;
using Pluggable.Procfs;
using Pluggable.Symbolization;

namespace Pluggable.Plugins.Perf;

/// <summary>
/// cpu's setup checks, made from the plan a session would make (the same perf_event_open tries and the same reads of
/// perf_event_paranoid), so that what the doctor says and what a session then does cannot disagree.
/// </summary>
internal sealed class PerfSetup(PerfPlanner planner, ProcFiles files)
{
    /// <summary>
    /// kernel.perf_event_mlock_kb's default: what any user may lock for perf rings on each CPU before RLIMIT_MEMLOCK
    /// counts. cpu's rings (128 data pages and a header page of 4 KB) are sized to fit it.
    /// </summary>
    public const int KernelDefaultMlockKilobytes = 516;

    private const string DockerPerfmon = "docker run --cap-add PERFMON (SYS_ADMIN before Linux 5.8)";

    public IReadOnlyList<SetupCheck> Check(TargetProcess? target)
    {
        // Without a target, the plan for this process itself: what cpu can do for processes of this user.
        var (plan, refusal) = planner.Plan(target ?? new TargetProcess(Environment.ProcessId, "this process", null, IsSelf: true), new CpuOptions());
        var checks = new List<SetupCheck> { Paranoid(plan, refusal), Seccomp(plan), LockedMemory() };
        if (plan is not null)
        {
            checks.Add(Clock(plan));
            checks.Add(KernelFrames(plan));
        }
        if (target is not null)
        {
            checks.Add(ManagedSymbolSession.SetupCheck(target, "cpu"));
        }
        return checks;
    }

    private SetupCheck Paranoid(PerfPlan? plan, Availability refusal)
    {
        const string name = "perf_event_paranoid";
        const string why = "decides who may use perf events, which cpu samples with; per-CPU events (the cheapest mode) need 0 or less, or CAP_PERFMON";
        var level = planner.Paranoid;
        var privilege = files.IsRoot ? ", and the profiler runs as root"
            : files.HasCapability(Capability.Perfmon) ? ", and the profiler has CAP_PERFMON"
            : files.HasCapability(Capability.SysAdmin) ? ", and the profiler has CAP_SYS_ADMIN"
            : "";
        return plan?.Mode switch
        {
            PerfMode.PerCpu => new SetupCheck(name, SetupStatus.Pass, $"it is {level}{privilege}: per-CPU events are allowed", why),
            PerfMode.PerThread => new SetupCheck(name, SetupStatus.Warn, $"it is {level}{privilege}: per-thread events only, which every context switch of the target pays for", why,
                $"sysctl -w kernel.perf_event_paranoid=0, or give the profiler CAP_PERFMON (setcap cap_perfmon+ep on the dotnet host, or {DockerPerfmon})"),
            _ => new SetupCheck(name, SetupStatus.Fail, $"it is {level}{privilege}, and perf_event_open is refused: {refusal.Reason}", why, refusal.Fix),
        };
    }

    private SetupCheck Seccomp(PerfPlan? plan)
    {
        const string name = "seccomp";
        const string why = "a container's seccomp filter can refuse perf_event_open whatever perf_event_paranoid says";
        return (files.IsSeccompFiltered, plan) switch
        {
            (false, _) => new SetupCheck(name, SetupStatus.Pass, "no seccomp filter", why),
            (true, not null) => new SetupCheck(name, SetupStatus.Pass, "a seccomp filter, which allows perf_event_open", why),
            (true, null) => new SetupCheck(name, SetupStatus.Warn, "this process runs under a seccomp filter, which may be what refuses perf_event_open", why,
                "docker run --security-opt seccomp=<a profile that allows perf_event_open> (or seccomp=unconfined on a trusted host)"),
        };
    }

    private SetupCheck LockedMemory()
    {
        const string name = "perf_event_mlock_kb";
        const string why = "each CPU's perf ring is locked memory: up to perf_event_mlock_kb a CPU it is free, past it RLIMIT_MEMLOCK counts, and past that the session fails to map its rings";
        var limit = files.Sysctl("/proc/sys/kernel/perf_event_mlock_kb");
        if (files.IsRootOrHas(Capability.IpcLock))
        {
            return new SetupCheck(name, SetupStatus.Pass, $"it is {limit?.ToString() ?? "unknown"} KB; the profiler {(files.IsRoot ? "runs as root" : "has CAP_IPC_LOCK")}, which it does not limit", why);
        }
        return limit >= KernelDefaultMlockKilobytes
            ? new SetupCheck(name, SetupStatus.Pass, $"it is {limit} KB a CPU: cpu's {KernelDefaultMlockKilobytes} KB rings fit (unless other perf tools of this user hold the rest)", why)
            : new SetupCheck(name, SetupStatus.Warn, $"it is {limit?.ToString() ?? "unknown"} KB a CPU, less than cpu's {KernelDefaultMlockKilobytes} KB rings: the rest counts against ulimit -l", why,
                $"sysctl -w kernel.perf_event_mlock_kb={KernelDefaultMlockKilobytes}, or raise ulimit -l (LimitMEMLOCK= in a systemd unit), or give the profiler CAP_IPC_LOCK");
    }

    private static SetupCheck Clock(PerfPlan plan)
    {
        const string name = "hardware counters";
        const string why = "with a cycles counter cpu samples by CPU cycles; without one (most VMs) by the cpu-clock timer, which gives the same shares of CPU time";
        return plan.HardwareCycles
            ? new SetupCheck(name, SetupStatus.Pass, "a hardware cycles counter: cpu samples by cycles", why)
            : new SetupCheck(name, SetupStatus.Pass, "no hardware cycles counter: cpu samples on cpu-clock", why);
    }

    private SetupCheck KernelFrames(PerfPlan plan)
    {
        const string name = "kernel frames";
        const string why = "kernel frames show where a thread's CPU time goes in system calls and page faults; kptr_restrict decides whether they are named or show as [kernel]";
        if (!plan.Kernel)
        {
            return new SetupCheck(name, SetupStatus.Warn, plan.Notes["kernel"], why, "sysctl -w kernel.perf_event_paranoid=1, or give the profiler CAP_PERFMON");
        }
        var restrict = files.Sysctl("/proc/sys/kernel/kptr_restrict");
        return restrict == 0 || (restrict == 1 && files.IsRootOrHas(Capability.Syslog))
            ? new SetupCheck(name, SetupStatus.Pass, $"sampled, and named (kptr_restrict is {restrict})", why)
            : new SetupCheck(name, SetupStatus.Warn, $"sampled, but kptr_restrict is {restrict?.ToString() ?? "unknown"}: they show as [kernel]", why, "sysctl -w kernel.kptr_restrict=0");
    }
}
