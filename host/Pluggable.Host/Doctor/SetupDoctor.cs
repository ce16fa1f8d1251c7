using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Pluggable.Core.Contracts;
using Pluggable.Host.Engine;

namespace Pluggable.Host.Doctor;

/// <summary>One finding: what was checked, how it stands, why it matters and what to change.</summary>
/// <param name="Name">What was checked, e.g. <c>perf_event_paranoid</c>.</param>
/// <param name="Status"><c>pass</c>, <c>warn</c> (works, with less) or <c>fail</c> (something does not work).</param>
/// <param name="Detail">What was found.</param>
/// <param name="Why">What it changes for profiling.</param>
/// <param name="Fix">The exact change, when one helps.</param>
public sealed record SetupCheck(string Name, string Status, string Detail, string Why, string? Fix)
{
    public const string Pass = "pass";
    public const string Warn = "warn";
    public const string Fail = "fail";
}

/// <summary>
/// Checks everything that decides which event types work for a target on this machine, and says what to change:
/// the perf and ptrace sysctls, capabilities and seccomp in containers, the target's diagnostics IPC, perf maps and
/// runtime version, and each event type's own probe. The same checks serve <c>pluggable doctor</c> and the page's
/// Setup panel.
/// </summary>
public sealed class SetupDoctor(Func<string, string?> readFile, Func<int, bool> diagnosticsReachable, uint effectiveUid)
{
    private const int CapSysPtrace = 19;
    private const int CapSysAdmin = 21;
    private const int CapPerfmon = 38;
    private const string DockerCaps = "docker run --cap-add PERFMON --cap-add SYS_PTRACE (SYS_ADMIN instead of PERFMON before Linux 5.8)";

    public static SetupDoctor ForThisMachine() => new(path =>
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }, pid => DiagnosticsClient.GetPublishedProcesses().Contains(pid), Native.geteuid());

    public IReadOnlyList<SetupCheck> Run(TargetProcess target, IReadOnlyList<EventTypeStatus> eventTypes)
    {
        var root = effectiveUid == 0;
        var capabilities = EffectiveCapabilities();
        bool Has(int capability) => root || (capabilities & (1UL << capability)) != 0;
        var checks = new List<SetupCheck>
        {
            Paranoid(Has(CapPerfmon) || Has(CapSysAdmin)),
            KptrRestrict(root),
            Seccomp(),
            Capabilities(root, Has(CapPerfmon) || Has(CapSysAdmin), Has(CapSysPtrace)),
            PtraceScope(target, Has(CapSysPtrace)),
            DiagnosticsIpc(target),
            PerfMaps(target),
        };
        checks.AddRange(eventTypes.Select(e => e.Available
            ? new SetupCheck($"event type {e.Name}", SetupCheck.Pass, $"{e.Name} ({e.Plugin}) can sample pid {target.Pid}", e.Description, null)
            : new SetupCheck($"event type {e.Name}", SetupCheck.Fail, e.Reason ?? "unavailable", e.Description, e.Fix)));
        return checks;
    }

    private SetupCheck Paranoid(bool privileged)
    {
        const string name = "perf_event_paranoid";
        const string why = "decides who may use perf events, which the cpu event type needs; per-CPU events (the cheap mode) need 0 or less, or CAP_PERFMON";
        const string fix = "sysctl -w kernel.perf_event_paranoid=1 (to keep it: echo kernel.perf_event_paranoid=1 > /etc/sysctl.d/99-perf.conf)";
        if (!int.TryParse(readFile("/proc/sys/kernel/perf_event_paranoid")?.Trim(), CultureInfo.InvariantCulture, out var level))
        {
            return new SetupCheck(name, SetupCheck.Fail, "the kernel has no perf events (/proc/sys/kernel/perf_event_paranoid is missing)", why, "use the itimer event type");
        }
        if (privileged)
        {
            return new SetupCheck(name, SetupCheck.Pass, $"it is {level}; this profiler runs as root or with CAP_PERFMON, which it does not limit", why, null);
        }
        return level switch
        {
            <= 0 => new SetupCheck(name, SetupCheck.Pass, $"it is {level}: per-CPU events and kernel frames are allowed", why, null),
            1 => new SetupCheck(name, SetupCheck.Warn, "it is 1: per-thread events with kernel frames only; per-CPU events need 0 or CAP_PERFMON", why, "sysctl -w kernel.perf_event_paranoid=0, or give the profiler CAP_PERFMON"),
            2 => new SetupCheck(name, SetupCheck.Warn, "it is 2: per-thread events of your own processes only, without kernel frames", why, fix),
            _ => new SetupCheck(name, SetupCheck.Fail, $"it is {level}: perf events are off for processes without CAP_PERFMON, so cpu is unavailable", why, fix + "; or use itimer"),
        };
    }

    private SetupCheck KptrRestrict(bool root)
    {
        const string name = "kptr_restrict";
        const string why = "hides kernel addresses, so kernel frames show as [kernel] instead of their functions";
        var text = readFile("/proc/sys/kernel/kptr_restrict")?.Trim();
        return text switch
        {
            "0" => new SetupCheck(name, SetupCheck.Pass, "it is 0: kernel frames are named", why, null),
            "1" when root => new SetupCheck(name, SetupCheck.Pass, "it is 1, and this profiler runs as root, which sees the addresses", why, null),
            _ => new SetupCheck(name, SetupCheck.Warn, $"it is {text ?? "unknown"}: kernel frames show as [kernel]", why, "sysctl -w kernel.kptr_restrict=0"),
        };
    }

    private SetupCheck Seccomp()
    {
        const string name = "seccomp";
        const string why = "a container's seccomp filter can refuse perf_event_open (cpu) and ptrace (itimer) whatever the sysctls say";
        var mode = StatusField("Seccomp");
        var container = readFile("/.dockerenv") is not null || (readFile("/proc/1/cgroup") ?? "").Contains("kubepods", StringComparison.Ordinal);
        return mode is null or "0"
            ? new SetupCheck(name, SetupCheck.Pass, container ? "in a container, without a seccomp filter" : "no seccomp filter", why, null)
            : new SetupCheck(name, SetupCheck.Warn, $"this process runs under a seccomp filter{(container ? " (in a container)" : "")}: perf_event_open or ptrace may be refused",
                why, "docker run --security-opt seccomp=<a profile that allows perf_event_open and ptrace> (or seccomp=unconfined on a trusted host)");
    }

    private static SetupCheck Capabilities(bool root, bool perfmon, bool ptrace)
    {
        const string name = "capabilities";
        const string why = "CAP_PERFMON lets cpu use per-CPU events and kernel frames whatever perf_event_paranoid says; CAP_SYS_PTRACE lets itimer trace processes it did not start";
        if (root)
        {
            return new SetupCheck(name, SetupCheck.Pass, "runs as root", why, null);
        }
        var missing = new[] { perfmon ? null : "CAP_PERFMON", ptrace ? null : "CAP_SYS_PTRACE" }.OfType<string>().ToArray();
        return missing.Length == 0
            ? new SetupCheck(name, SetupCheck.Pass, "has CAP_PERFMON and CAP_SYS_PTRACE", why, null)
            : new SetupCheck(name, SetupCheck.Warn, $"without {string.Join(" and ", missing)}", why, $"setcap cap_perfmon,cap_sys_ptrace+ep on the dotnet host, or {DockerCaps}");
    }

    private SetupCheck PtraceScope(TargetProcess target, bool ptrace)
    {
        const string name = "ptrace_scope";
        const string why = "Yama's ptrace_scope decides whether itimer may interrupt the target's threads";
        var text = readFile("/proc/sys/kernel/yama/ptrace_scope")?.Trim() ?? "0";
        return text switch
        {
            "0" => new SetupCheck(name, SetupCheck.Pass, "it is 0: a process may trace others of its user", why, null),
            "1" when ptrace || target.IsSelf => new SetupCheck(name, SetupCheck.Pass, $"it is 1: fine, {(ptrace ? "with CAP_SYS_PTRACE" : "the host profiles itself")}", why, null),
            "1" => new SetupCheck(name, SetupCheck.Fail, $"it is 1: only ancestors may trace, and pid {target.Pid} is not a child of the profiler", why, $"sysctl -w kernel.yama.ptrace_scope=0, or {DockerCaps}"),
            "2" when ptrace => new SetupCheck(name, SetupCheck.Pass, "it is 2: fine, with CAP_SYS_PTRACE", why, null),
            "2" => new SetupCheck(name, SetupCheck.Fail, "it is 2: only CAP_SYS_PTRACE may trace", why, $"give the profiler CAP_SYS_PTRACE ({DockerCaps})"),
            _ => new SetupCheck(name, SetupCheck.Fail, $"it is {text}: ptrace is off until reboot", why, "boot with kernel.yama.ptrace_scope at 2 or less; use cpu where perf events are allowed"),
        };
    }

    private SetupCheck DiagnosticsIpc(TargetProcess target)
    {
        const string name = "diagnostics IPC";
        const string why = "alloc, lock, wall and exceptions come over the target's diagnostics socket, and cpu and itimer use it to name managed frames";
        return target.IsSelf || diagnosticsReachable(target.Pid)
            ? new SetupCheck(name, SetupCheck.Pass, $"pid {target.Pid}'s diagnostics socket is reachable", why, null)
            : new SetupCheck(name, SetupCheck.Fail, $"no diagnostics socket of pid {target.Pid} is visible in /tmp",
                why, "run the profiler as the target's user, share its /tmp (a container: mount the target's /tmp), and leave DOTNET_EnableDiagnostics unset or 1");
    }

    private static SetupCheck PerfMaps(TargetProcess target)
    {
        const string name = "perf maps";
        const string why = "name jitted code in cpu and itimer profiles; .NET 8+ turns them on when asked over the diagnostics IPC";
        return target.RuntimeMajorVersion switch
        {
            >= 8 => new SetupCheck(name, SetupCheck.Pass, $".NET {target.RuntimeVersion}: turned on for each session and off after", why, null),
            null => new SetupCheck(name, SetupCheck.Warn, "the target's .NET version is unknown (not .NET, or its maps are unreadable)", why, "start the target with DOTNET_PerfMapEnabled=3"),
            _ => new SetupCheck(name, SetupCheck.Warn, $".NET {target.RuntimeVersion} cannot turn perf maps on while running", why, "start the target with DOTNET_PerfMapEnabled=3, or move it to .NET 8+"),
        };
    }

    private string? StatusField(string field) =>
        readFile("/proc/self/status")?.Split('\n').FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal))?[(field.Length + 1)..].Trim();

    private ulong EffectiveCapabilities() =>
        ulong.TryParse(StatusField("CapEff"), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var caps) ? caps : 0;
}
