using Microsoft.Diagnostics.NETCore.Client;

namespace Pluggable.Host.Targets;

/// <summary>A .NET process this host can attach to, as the process picker shows it.</summary>
/// <param name="Pid">Its process id.</param>
/// <param name="Name">Its process name.</param>
/// <param name="CommandLine">Its command line, arguments separated by spaces.</param>
/// <param name="RuntimeVersion">Its .NET runtime version, when it can be read.</param>
/// <param name="IsSelf">True for the host's own process.</param>
public sealed record DotnetProcess(int Pid, string Name, string CommandLine, string? RuntimeVersion, bool IsSelf);

/// <summary>The .NET processes whose diagnostics IPC this host can reach: same user, same /tmp.</summary>
public static class DotnetProcesses
{
    public static IReadOnlyList<DotnetProcess> List()
    {
        var processes = new List<DotnetProcess>();
        foreach (var pid in DiagnosticsClient.GetPublishedProcesses().Distinct().Order())
        {
            try
            {
                var name = File.ReadAllText($"/proc/{pid}/comm").Trim();
                var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
                processes.Add(new DotnetProcess(pid, name, commandLine, TargetProcesses.RuntimeVersionOf(pid), pid == Environment.ProcessId));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited since it was listed, or not ours to read.
            }
        }
        return processes;
    }
}
