using Microsoft.Diagnostics.NETCore.Client;
using Pluggable.Core.Contracts;
using Pluggable.Procfs;

namespace Pluggable.Plugins.EventPipe;

/// <summary>Whether the target's diagnostics IPC can be reached, which every EventPipe session needs.</summary>
internal static class DiagnosticsIpc
{
    private const string Fix = "run the profiler as the target's user and share its /tmp (in a container: mount the target's /tmp, or run the profiler inside it), and do not set DOTNET_EnableDiagnostics=0.";

    /// <summary>The settings that turn a runtime's diagnostics IPC off when set to 0 (the _IPC one from .NET 8).</summary>
    private static readonly string[] OffSwitches = ["DOTNET_EnableDiagnostics", "COMPlus_EnableDiagnostics", "DOTNET_EnableDiagnostics_IPC"];

    public static Availability Probe(TargetProcess target, int minimumRuntime, string eventType)
    {
        if (!IsReachable(target))
        {
            return Availability.Unavailable(
                $"process {target.Pid} has no diagnostics IPC socket this profiler can see: it is not a .NET process, it runs as another user, or it has its own /tmp (a container).",
                Fix);
        }
        if (target.RuntimeMajorVersion is { } major && major < minimumRuntime)
        {
            return Availability.Unavailable(
                $"'{eventType}' needs .NET {minimumRuntime} or later; the target runs .NET {target.RuntimeVersion}.",
                $"upgrade the target to .NET {minimumRuntime}+.");
        }
        return Availability.Available;
    }

    /// <summary>
    /// The target's diagnostics IPC, the one precondition all of this sampler's event types share; when it cannot be
    /// reached, the target's own environment (readable by its user and root) tells whether it turned the IPC off.
    /// Nothing to check without a target.
    /// </summary>
    public static IReadOnlyList<SetupCheck> CheckSetup(TargetProcess? target, ProcFiles files)
    {
        if (target is null)
        {
            return [];
        }
        const string name = "diagnostics IPC";
        const string why = "alloc, lock, wall and exceptions come over the target's diagnostics socket (in /tmp)";
        if (IsReachable(target))
        {
            return [new SetupCheck(name, SetupStatus.Pass, $"pid {target.Pid}'s diagnostics socket is reachable", why)];
        }
        var environment = files.Read($"/proc/{target.Pid}/environ")?.Split('\0') ?? [];
        var switchedOff = OffSwitches.FirstOrDefault(s => environment.Contains(s + "=0", StringComparer.Ordinal));
        return
        [
            switchedOff is not null
                ? new SetupCheck(name, SetupStatus.Fail, $"pid {target.Pid} was started with {switchedOff}=0, which turns its diagnostics socket off", why, $"restart the target without {switchedOff}=0")
                : new SetupCheck(name, SetupStatus.Fail, $"no diagnostics socket of pid {target.Pid} is visible in /tmp", why, Fix),
        ];
    }

    private static bool IsReachable(TargetProcess target) => target.IsSelf || DiagnosticsClient.GetPublishedProcesses().Contains(target.Pid);
}
