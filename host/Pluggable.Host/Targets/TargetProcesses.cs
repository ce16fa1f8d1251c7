using System.Diagnostics;
using Pluggable.Core.Contracts;

namespace Pluggable.Host.Targets;

/// <summary>Describes the process to profile: the host itself, or another .NET process by pid.</summary>
public static class TargetProcesses
{
    public static TargetProcess Self()
    {
        using var self = Process.GetCurrentProcess();
        return new TargetProcess(Environment.ProcessId, self.ProcessName, Environment.Version.ToString(), IsSelf: true);
    }

    /// <summary>The process with this pid. Throws <see cref="ArgumentException"/> when no such process runs.</summary>
    public static TargetProcess ByPid(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return Self();
        }
        string name;
        try
        {
            using var process = Process.GetProcessById(pid);
            name = process.ProcessName;
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"no process with pid {pid} is running");
        }
        return new TargetProcess(pid, name, RuntimeVersionOf(pid), IsSelf: false);
    }

    /// <summary>
    /// The version of the .NET runtime a process has loaded, read from the path of its libcoreclr.so in
    /// /proc/&lt;pid&gt;/maps (<c>.../Microsoft.NETCore.App/10.0.12/libcoreclr.so</c>); null when it has none or the maps
    /// cannot be read. Unlike asking over the diagnostics IPC, this works whatever the runtime's version and cannot hang.
    /// </summary>
    public static string? RuntimeVersionOf(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
            {
                if (line.EndsWith("/libcoreclr.so", StringComparison.Ordinal))
                {
                    var directory = Path.GetFileName(Path.GetDirectoryName(line[line.IndexOf('/')..]));
                    return directory is not null && char.IsAsciiDigit(directory[0]) ? directory : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another user's process, or it exited: the version stays unknown.
        }
        return null;
    }
}
