using Pluggable.Core.Contracts;

namespace Pluggable.Plugins.Itimer;

/// <summary>Whether this process may ptrace the target, by the rules of Yama and capabilities, and if not, what to change.</summary>
internal sealed class PtraceAccess(Func<string, string?> readFile, uint effectiveUid)
{
    private const int CapSysPtrace = 19;

    public static PtraceAccess ForThisProcess() => new(path =>
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }, Native.geteuid());

    public Availability Check(TargetProcess target)
    {
        var scope = int.TryParse(readFile("/proc/sys/kernel/yama/ptrace_scope")?.Trim(), out var level) ? level : 0;
        var privileged = effectiveUid == 0 || HasCapability(CapSysPtrace);
        const string dockerFlag = "in a container: docker run --cap-add SYS_PTRACE";
        if (scope >= 3)
        {
            return Availability.Unavailable(
                "kernel.yama.ptrace_scope is 3: ptrace is off for everyone until the next reboot.",
                "boot with kernel.yama.ptrace_scope at 2 or less. With perf events allowed, use cpu instead.");
        }
        if (readFile($"/proc/{target.Pid}/status") is not { } status)
        {
            return Availability.Unavailable($"process {target.Pid} is not running or cannot be read.", "pick a running process of this user.");
        }
        var owner = UidOf(status);
        if (!privileged && owner is { } uid && uid != effectiveUid)
        {
            return Availability.Unavailable(
                $"process {target.Pid} belongs to another user (uid {uid}); ptrace needs the same user or CAP_SYS_PTRACE.",
                $"run the profiler as the target's user, or with CAP_SYS_PTRACE ({dockerFlag}).");
        }
        if (privileged || scope == 0)
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
            $"sysctl -w kernel.yama.ptrace_scope=0 (scope 1 only), or run the profiler with CAP_SYS_PTRACE ({dockerFlag}).");
    }

    private bool HasCapability(int capability)
    {
        var line = readFile("/proc/self/status")?.Split('\n').FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line["CapEff:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, null, out var effective)
            && (effective & (1UL << capability)) != 0;
    }

    private static uint? UidOf(string status)
    {
        var fields = status.Split('\n').FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 2 } && uint.TryParse(fields[2], out var uid) ? uid : null;
    }
}
