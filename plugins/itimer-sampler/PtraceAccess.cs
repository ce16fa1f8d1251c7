using Pluggable.Core.Contracts;
using Pluggable.Procfs;
using Pluggable.Symbolization;

namespace Pluggable.Plugins.Itimer;

/// <summary>
/// Whether this process may ptrace the target, by the rules of Yama and capabilities, and if not, what to change; and
/// the setup checks that say the same from the same reads.
/// </summary>
internal sealed class PtraceAccess(ProcFiles files)
{
    private const string DockerFlag = "in a container: docker run --cap-add SYS_PTRACE";
    private const string ScopeFix = $"sysctl -w kernel.yama.ptrace_scope=0 (scope 1 only), or run the profiler with CAP_SYS_PTRACE ({DockerFlag}).";
    private const string ScopeOffFix = "boot with kernel.yama.ptrace_scope at 2 or less. With perf events allowed, use cpu instead.";

    public static PtraceAccess ForThisProcess() => new(ProcFiles.OfThisProcess);

    /// <summary>kernel.yama.ptrace_scope; a kernel without Yama has no file, and the classic rules of scope 0.</summary>
    private int Scope => files.Sysctl("/proc/sys/kernel/yama/ptrace_scope") ?? 0;

    private bool Privileged => files.IsRootOrHas(Capability.SysPtrace);

    public Availability Check(TargetProcess target)
    {
        var scope = Scope;
        if (scope >= 3)
        {
            return Availability.Unavailable("kernel.yama.ptrace_scope is 3: ptrace is off for everyone until the next reboot.", ScopeOffFix);
        }
        if (files.Read($"/proc/{target.Pid}/status") is null)
        {
            return Availability.Unavailable($"process {target.Pid} is not running or cannot be read.", "pick a running process of this user.");
        }
        if (!Privileged && files.OwnerOf(target.Pid) is { } uid && uid != files.EffectiveUserId)
        {
            return Availability.Unavailable(
                $"process {target.Pid} belongs to another user (uid {uid}); ptrace needs the same user or CAP_SYS_PTRACE.",
                $"run the profiler as the target's user, or with CAP_SYS_PTRACE ({DockerFlag}).");
        }
        if (Privileged || scope == 0)
        {
            return Availability.Available;
        }
        if (target.IsSelf && scope == 1)
        {
            // The host names its own sampler process as its tracer (PR_SET_PTRACER).
            return Availability.Available;
        }
        return Availability.Unavailable(
            scope == 1
                ? $"kernel.yama.ptrace_scope is 1: only a process's ancestors may ptrace it, and process {target.Pid} is not a child of the profiler."
                : "kernel.yama.ptrace_scope is 2: only processes with CAP_SYS_PTRACE may ptrace.",
            ScopeFix);
    }

    /// <summary>The machine's ptrace rules as they stand for this profiler, then, for a target, the verdict of <see cref="Check"/> and whether its managed frames can be named.</summary>
    public IReadOnlyList<SetupCheck> CheckSetup(TargetProcess? target)
    {
        var checks = new List<SetupCheck> { ScopeCheck(), SeccompCheck() };
        if (target is not null)
        {
            var access = Check(target);
            checks.Add(access.IsAvailable
                ? new SetupCheck($"ptrace of pid {target.Pid}", SetupStatus.Pass, $"this profiler may interrupt pid {target.Pid}'s threads", PtraceWhy)
                : new SetupCheck($"ptrace of pid {target.Pid}", SetupStatus.Fail, access.Reason!, PtraceWhy, access.Fix));
            checks.Add(ManagedSymbolSession.SetupCheck(target, "itimer"));
        }
        return checks;
    }

    private const string PtraceWhy = "itimer stops the target's threads with ptrace to sample them; Yama's ptrace_scope, CAP_SYS_PTRACE and the target's user decide whether it may";

    private SetupCheck ScopeCheck()
    {
        const string name = "ptrace_scope";
        var scope = Scope;
        var privilege = files.IsRoot ? "the profiler runs as root" : "the profiler has CAP_SYS_PTRACE";
        return scope switch
        {
            0 => new SetupCheck(name, SetupStatus.Pass, "it is 0: a process may trace the others of its user", PtraceWhy),
            1 or 2 when Privileged => new SetupCheck(name, SetupStatus.Pass, $"it is {scope}, and {privilege}", PtraceWhy),
            1 => new SetupCheck(name, SetupStatus.Warn, "it is 1: only ancestors may trace, so itimer samples the host itself but no other process, without CAP_SYS_PTRACE", PtraceWhy, ScopeFix),
            2 => new SetupCheck(name, SetupStatus.Fail, "it is 2: only processes with CAP_SYS_PTRACE may trace, and the profiler has none", PtraceWhy, ScopeFix),
            _ => new SetupCheck(name, SetupStatus.Fail, $"it is {scope}: ptrace is off for everyone until the next reboot", PtraceWhy, ScopeOffFix),
        };
    }

    private SetupCheck SeccompCheck()
    {
        const string name = "seccomp";
        const string why = "a container's seccomp filter can refuse ptrace whatever ptrace_scope says (Docker's default allows it from Linux 4.8)";
        return files.IsSeccompFiltered
            ? new SetupCheck(name, SetupStatus.Warn, "this process runs under a seccomp filter, which may refuse ptrace", why,
                "docker run --security-opt seccomp=<a profile that allows ptrace> (or seccomp=unconfined on a trusted host)")
            : new SetupCheck(name, SetupStatus.Pass, "no seccomp filter", why);
    }
}
