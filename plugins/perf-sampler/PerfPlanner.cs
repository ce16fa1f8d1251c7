using Pluggable.Core.Contracts;
using Pluggable.Plugins.Perf.Native;
using Pluggable.Procfs;

namespace Pluggable.Plugins.Perf;

internal enum PerfMode
{
    /// <summary>One event per CPU for every process, filtered to the target in user space: no cost at the target's context switches.</summary>
    PerCpu,

    /// <summary>One event per thread of the target: allowed with less privilege, but every context switch of the target pays for it.</summary>
    PerThread,
}

/// <summary>How a session will sample: what the kernel allows, decided by trying.</summary>
/// <param name="Mode">Per CPU or per thread.</param>
/// <param name="HardwareCycles">True to count CPU cycles; false to use the cpu-clock software event.</param>
/// <param name="Kernel">True when kernel code is sampled too.</param>
/// <param name="Notes">What the profile's metadata says about the choices (why cpu-clock, why no kernel frames).</param>
internal sealed record PerfPlan(PerfMode Mode, bool HardwareCycles, bool Kernel, IReadOnlyDictionary<string, string> Notes);

/// <summary>Finds out, with a few cheap perf_event_open calls, how the target can be sampled, or why it cannot, and what to do about it.</summary>
internal sealed class PerfPlanner(IPerfEventSyscalls syscalls, ProcFiles files)
{
    /// <summary>
    /// What a missing or unreadable perf_event_paranoid counts as: the kernel's default since Linux 4.6. A kernel
    /// without perf events at all answers perf_event_open with ENOSYS, which the refusal says whatever the level.
    /// </summary>
    public const int DefaultParanoid = 2;

    public static PerfPlanner ForThisMachine() => new(LinuxPerfEventSyscalls.Instance, ProcFiles.OfThisProcess);

    /// <summary>kernel.perf_event_paranoid, the one reading of it that the plan, its refusals and the setup checks share.</summary>
    public int Paranoid => files.Sysctl("/proc/sys/kernel/perf_event_paranoid") ?? DefaultParanoid;

    public (PerfPlan? Plan, Availability Availability) Plan(TargetProcess target, CpuOptions options)
    {
        var notes = new Dictionary<string, string>();
        var hardware = TryOpen(Attributes(hardware: true, kernel: false, frequency: 100), 0, -1) >= 0;
        notes["clock"] = hardware ? "cycles" : "cpu-clock (this machine has no hardware cycles counter)";

        int Try(bool kernel, int pid, int cpu) => TryOpen(Attributes(hardware, kernel, 100), pid, cpu);

        var wantKernel = options.Kernel;
        if (options.Mode is "auto" or "cpu")
        {
            var perCpu = Try(wantKernel, -1, 0);
            if (perCpu >= 0)
            {
                return Done(PerfMode.PerCpu, wantKernel);
            }
            if (options.Mode == "cpu")
            {
                return (null, Refusal(-perCpu, target, "per-CPU events"));
            }
        }
        var errno = Try(wantKernel, target.Pid, -1);
        if (errno >= 0)
        {
            return Done(PerfMode.PerThread, wantKernel);
        }
        if (wantKernel && -errno is Libc.EACCES or Libc.EPERM && Try(false, target.Pid, -1) >= 0)
        {
            notes["kernel"] = $"not sampled: perf_event_paranoid is {Paranoid}; sysctl -w kernel.perf_event_paranoid=1 (or CAP_PERFMON) to see kernel frames";
            return Done(PerfMode.PerThread, kernel: false);
        }
        return (null, Refusal(-errno, target, "perf events"));

        (PerfPlan?, Availability) Done(PerfMode mode, bool kernel)
        {
            notes["mode"] = mode == PerfMode.PerCpu ? "per-cpu" : "per-thread";
            if (mode == PerfMode.PerThread && options.Mode == "auto")
            {
                notes["mode"] = "per-thread (per-CPU events need perf_event_paranoid <= 0 or CAP_PERFMON; they cost the target less)";
            }
            return (new PerfPlan(mode, hardware, kernel, notes), Availability.Available);
        }
    }

    /// <summary>
    /// Bytes of the user stack each sample carries. An ASP.NET Core request's stack, from the thread's entry through
    /// Kestrel, the middleware and EF Core down to SQLite, measured 4 to 32 KB; past the copy the kernel's
    /// frame-pointer callchain carries the walk on.
    /// </summary>
    public const uint StackBytes = 32 * 1024;

    /// <summary>
    /// The attributes every cpu event uses: sampled at a frequency, with IP, thread, time, CPU, the callchain, and the
    /// user registers and top of the user stack. The user part is walked here from the copy, because the kernel
    /// follows only frame pointers, and optimized jitted and native code often keeps none; the kernel's user
    /// callchain only continues a walk past the end of the copy.
    /// </summary>
    public static PerfEventAttr Attributes(bool hardware, bool kernel, ulong frequency) => new()
    {
        SampleRegsUser = (1UL << PerfRegister.Bp) | (1UL << PerfRegister.Sp) | (1UL << PerfRegister.Ip),
        SampleStackUser = StackBytes,
        Type = hardware ? PerfType.Hardware : PerfType.Software,
        Size = PerfEventAttr.CurrentSize,
        Config = hardware ? PerfConfig.HardwareCpuCycles : PerfConfig.SoftwareCpuClock,
        SamplePeriodOrFrequency = frequency,
        SampleType = PerfSample.Ip | PerfSample.Tid | PerfSample.Time | PerfSample.Cpu | PerfSample.Callchain | PerfSample.RegsUser | PerfSample.StackUser,
        Flags = (ulong)(PerfFlags.Disabled | PerfFlags.Freq | PerfFlags.ExcludeHv | PerfFlags.SampleIdAll
            | (kernel ? 0 : PerfFlags.ExcludeKernel | PerfFlags.ExcludeCallchainKernel)),
    };

    private int TryOpen(PerfEventAttr attributes, int pid, int cpu)
    {
        var fd = syscalls.Open(attributes, pid, cpu);
        if (fd >= 0)
        {
            Libc.close(fd);
        }
        return fd;
    }

    private Availability Refusal(int errno, TargetProcess target, string what)
    {
        const string useItimer = "Or use the itimer event type, which needs no perf events.";
        var paranoid = Paranoid;
        switch (errno)
        {
            case Libc.EACCES or Libc.EPERM when paranoid >= 3:
                return Availability.Unavailable(
                    $"perf_event_paranoid is {paranoid}: {what} are off for processes without CAP_PERFMON.",
                    $"sysctl -w kernel.perf_event_paranoid=1 (or run the profiler as root or with CAP_PERFMON). {useItimer}");
            case Libc.EACCES or Libc.EPERM when files.OwnerOf(target.Pid) is { } owner && owner != files.EffectiveUserId && !files.IsRoot:
                return Availability.Unavailable(
                    $"process {target.Pid} belongs to another user (uid {owner}); perf events of another user's process need CAP_PERFMON.",
                    "run the profiler as the target's user, or as root.");
            case Libc.EACCES or Libc.EPERM when files.IsSeccompFiltered:
                return Availability.Unavailable(
                    $"perf_event_open is refused, and this process runs under a seccomp filter (a container).",
                    $"docker run --cap-add PERFMON (SYS_ADMIN before Linux 5.8) with a seccomp profile that allows perf_event_open. {useItimer}");
            case Libc.EACCES or Libc.EPERM:
                return Availability.Unavailable(
                    $"perf_event_open is refused for {what} (perf_event_paranoid is {paranoid}).",
                    $"sysctl -w kernel.perf_event_paranoid=1, or run the profiler as root or with CAP_PERFMON. {useItimer}");
            case Libc.ENOSYS:
                return Availability.Unavailable(
                    "perf_event_open does not exist here: the kernel lacks perf events, or a seccomp filter hides the call.",
                    $"in a container: docker run --cap-add PERFMON with a seccomp profile that allows perf_event_open. {useItimer}");
            case Libc.ENOENT or Libc.ENODEV or Libc.EOPNOTSUPP:
                return Availability.Unavailable("this kernel offers no cpu-clock perf event.", useItimer);
            case Libc.ESRCH:
                return Availability.Unavailable($"process {target.Pid} is not running.", "pick a running process.");
            default:
                return Availability.Unavailable($"perf_event_open failed with errno {errno}.", useItimer);
        }
    }

}
