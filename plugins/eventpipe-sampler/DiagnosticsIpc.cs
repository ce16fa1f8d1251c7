using Microsoft.Diagnostics.NETCore.Client;
using Pluggable.Core.Contracts;

namespace Pluggable.Plugins.EventPipe;

/// <summary>Whether the target's diagnostics IPC can be reached, which every EventPipe session needs.</summary>
internal static class DiagnosticsIpc
{
    public static Availability Probe(TargetProcess target, int minimumRuntime, string eventType)
    {
        if (!target.IsSelf && !DiagnosticsClient.GetPublishedProcesses().Contains(target.Pid))
        {
            return Availability.Unavailable(
                $"process {target.Pid} has no diagnostics IPC socket this profiler can see: it is not a .NET process, it runs as another user, or it has its own /tmp (a container).",
                "run the profiler as the target's user and share its /tmp (in a container: mount the target's /tmp, or run the profiler inside it), and do not set DOTNET_EnableDiagnostics=0.");
        }
        if (target.RuntimeMajorVersion is { } major && major < minimumRuntime)
        {
            return Availability.Unavailable(
                $"'{eventType}' needs .NET {minimumRuntime} or later; the target runs .NET {target.RuntimeVersion}.",
                $"upgrade the target to .NET {minimumRuntime}+.");
        }
        return Availability.Available;
    }
}
