using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Extensions.Logging;
using Pluggable.Core.Platform;

namespace Pluggable.Symbolization;

/// <summary>
/// A session's hold on a target's perf map, which it turned on. The hold is a file in a folder of this user's naming
/// the target and the host (with their start times, so a reused pid is no match). Releasing the last hold of a target
/// turns its perf map off again, and removes the map when there was none before. A host killed before it could
/// (kill -9, the OOM killer) leaves the target writing its method names to a world-readable file that grows for the
/// rest of its life: the next session or host start of the same user finds the holds whose host is gone and does it.
/// </summary>
public sealed class PerfMapLease
{
    private const string Extension = ".lease";

    private readonly int _targetPid;
    private readonly bool _mapExistedBefore;
    private readonly string? _file;
    private readonly ILogger _logger;
    private int _released;

    private PerfMapLease(int targetPid, bool mapExistedBefore, string? file, ILogger logger)
    {
        _targetPid = targetPid;
        _mapExistedBefore = mapExistedBefore;
        _file = file;
        _logger = logger;
    }

    /// <summary>
    /// Records that this process turned <paramref name="targetPid"/>'s perf map on, and makes the map readable by its
    /// owner only when it is new. Without a usable lease folder the hold is not recorded: releasing it still turns the
    /// map off, but a kill leaves it on.
    /// </summary>
    /// <param name="targetPid">The target.</param>
    /// <param name="mapExistedBefore">Whether the map file was there before this session turned the map on.</param>
    /// <param name="logger">Where problems with the lease folder are reported.</param>
    public static PerfMapLease Take(int targetPid, bool mapExistedBefore, ILogger logger)
    {
        var folder = Folder(logger);
        // A map another live session made is one no one had before: the last session to end removes it.
        var existedBefore = folder is null ? mapExistedBefore
            : Holds(folder).Where(h => h.TargetPid == targetPid && h.HostIsAlive).Select(h => h.MapExistedBefore).DefaultIfEmpty(mapExistedBefore).First();
        if (!existedBefore)
        {
            OwnerOnly(PerfMapFile.PathFor(targetPid));
        }
        string? file = null;
        if (folder is not null && StartTime(targetPid) is { } targetStart && StartTime(Environment.ProcessId) is { } hostStart)
        {
            file = Path.Combine(folder, $"{targetPid}-{Environment.ProcessId}-{Guid.NewGuid():N}{Extension}");
            try
            {
                File.WriteAllText(file, string.Create(CultureInfo.InvariantCulture, $"{targetStart} {hostStart} {(existedBefore ? 1 : 0)}"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Cannot record that pid {Pid}'s perf map is on ({Message}): if this host is killed, the map stays on", targetPid, e.Message);
                file = null;
            }
        }
        return new PerfMapLease(targetPid, existedBefore, file, logger);
    }

    /// <summary>Ends the hold; the last live one of the target turns its perf map off (and removes a map no one had before). Once only.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }
        if (_file is not null)
        {
            File.Delete(_file);
        }
        if (Folder(_logger) is { } folder && Holds(folder).Any(h => h.TargetPid == _targetPid && h.HostIsAlive))
        {
            return;
        }
        TurnOff(_targetPid, _mapExistedBefore);
    }

    /// <summary>
    /// Releases the holds whose host is gone: each target they leave without a live hold gets its perf map turned off,
    /// and the map removed when no one had it before. Cheap when there are none: one folder listing.
    /// </summary>
    public static void ReleaseOrphans(ILogger logger)
    {
        if (Folder(logger) is not { } folder)
        {
            return;
        }
        var holds = Holds(folder).ToList();
        foreach (var target in holds.Where(h => !h.HostIsAlive).GroupBy(h => h.TargetPid))
        {
            foreach (var orphan in target)
            {
                File.Delete(orphan.File);
            }
            if (holds.Any(h => h.TargetPid == target.Key && h.HostIsAlive))
            {
                continue;
            }
            var hold = target.First();
            // A reused pid is another process: its perf map, if any, is not this hold's to turn off.
            if (StartTime(hold.TargetPid) is { } start && start != hold.TargetStart)
            {
                continue;
            }
            TurnOff(hold.TargetPid, hold.MapExistedBefore);
            logger.LogWarning("Turned off the perf map of pid {Pid}, left on by Pluggable host pid {Host}, which is gone", hold.TargetPid, hold.HostPid);
        }
    }

    private static void TurnOff(int pid, bool mapExistedBefore)
    {
        try
        {
            new DiagnosticsClient(pid).DisablePerfMap();
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or ServerErrorException or IOException or TimeoutException)
        {
            // The target exited: nothing to turn off.
        }
        if (!mapExistedBefore)
        {
            File.Delete(PerfMapFile.PathFor(pid));
        }
    }

    private static void OwnerOnly(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not there yet, or another user's: it keeps the runtime's mode.
        }
    }

    /// <summary>The lease folder, created for this user alone; null when it cannot be, or someone else could write to it.</summary>
    private static string? Folder(ILogger logger)
    {
        // Holds name processes by their /proc entries.
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var folder = Path.Combine(Path.GetTempPath(), $"pluggable-perf-map-leases-{UnixFile.EffectiveUserId}");
        try
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Cannot use {Folder} to record whose perf maps are on: {Message}", folder, e.Message);
            return null;
        }
        // In a shared /tmp another user could have made it first: leases there are not this user's to trust.
        if (UnixFile.Status(folder) is not { Type: UnixFileType.Directory } status || status.Owner != UnixFile.EffectiveUserId
            || (status.Mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            logger.LogWarning("Not using {Folder} to record whose perf maps are on: it is not a folder of this user's alone", folder);
            return null;
        }
        return folder;
    }

    private sealed record Hold(string File, int TargetPid, long TargetStart, int HostPid, long HostStart, bool MapExistedBefore)
    {
        public bool HostIsAlive => StartTime(HostPid) == HostStart;
    }

    private static IEnumerable<Hold> Holds(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*" + Extension))
        {
            var name = Path.GetFileNameWithoutExtension(file).Split('-');
            string[] content;
            try
            {
                content = File.ReadAllText(file).Split(' ');
            }
            catch (IOException)
            {
                continue;
            }
            if (name.Length == 3 && int.TryParse(name[0], CultureInfo.InvariantCulture, out var target) && int.TryParse(name[1], CultureInfo.InvariantCulture, out var host)
                && content.Length == 3 && long.TryParse(content[0], CultureInfo.InvariantCulture, out var targetStart) && long.TryParse(content[1], CultureInfo.InvariantCulture, out var hostStart))
            {
                yield return new Hold(file, target, targetStart, host, hostStart, content[2] == "1");
            }
        }
    }

    /// <summary>When the process started, in clock ticks since boot (<c>/proc/&lt;pid&gt;/stat</c>, field 22); null when it does not run.</summary>
    private static long? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name, field 2, is in parentheses and may hold spaces and parentheses itself: count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], CultureInfo.InvariantCulture, out var start) ? start : null;
    }
}
