using System.Globalization;

namespace Pluggable.Bench.Infrastructure;

/// <summary>A process's memory as /proc/&lt;pid&gt;/status states it, in bytes.</summary>
/// <param name="Rss">VmRSS: resident memory, including the mapped runtime and framework files.</param>
/// <param name="AnonymousRss">RssAnon: the resident memory that is the process's own (heaps, stacks), without mapped files.</param>
/// <param name="PeakRss">VmHWM: the highest VmRSS since the process started.</param>
/// <param name="Pss">Pss from /proc/&lt;pid&gt;/smaps_rollup: the resident memory with each page shared with other processes
/// (the runtime and framework files a .NET target maps too) counted in proportion; null when unreadable.</param>
internal sealed record ProcessMemory(long Rss, long AnonymousRss, long PeakRss, long? Pss);

/// <summary>Reads CPU time and memory of processes from /proc.</summary>
internal static class ProcFs
{
    /// <summary>
    /// CPU time (user and system) of a process and of every process below it, alive or already reaped by its parent,
    /// so that a helper process the profiler starts (the itimer agent) counts as the profiler's. Null when the process is gone.
    /// </summary>
    public static TimeSpan? TreeCpuTime(int pid)
    {
        var stats = AllStats();
        if (!stats.ContainsKey(pid))
        {
            return null;
        }
        var ticks = 0L;
        var pending = new Stack<int>([pid]);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            if (!stats.TryGetValue(current, out var stat))
            {
                continue;
            }
            ticks += stat.Ticks;
            foreach (var (child, childStat) in stats)
            {
                if (childStat.ParentPid == current)
                {
                    pending.Push(child);
                }
            }
        }
        return TimeSpan.FromSeconds((double)ticks / Libc.ClockTicksPerSecond);
    }

    /// <summary>CPU time all CPUs spent busy (not idle, not waiting for I/O) since boot, from /proc/stat.</summary>
    public static TimeSpan MachineBusyTime()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal ...
        var busy = new[] { 1, 2, 3, 6, 7, 8 }.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
        return TimeSpan.FromSeconds((double)busy / Libc.ClockTicksPerSecond);
    }

    public static ProcessMemory? Memory(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        long Field(string name) =>
            lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal)) is { } line
                ? long.Parse(line[(name.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024
                : 0;
        return new ProcessMemory(Field("VmRSS"), Field("RssAnon"), Field("VmHWM"), Pss(pid));
    }

    private static long? Pss(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal)) is { } line
                ? long.Parse(line["Pss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every process's parent and CPU ticks (its own, plus those of the children it has reaped).</summary>
    private static Dictionary<int, (int ParentPid, long Ticks)> AllStats()
    {
        var stats = new Dictionary<int, (int, long)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var text = File.ReadAllText(Path.Combine(directory, "stat"));
                // The command name (field 2) is in parentheses and may hold spaces: the fields that follow start after the last ')'.
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
                stats[pid] = ((int)Field(4), Field(14) + Field(15) + Field(16) + Field(17));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // It exited while the list was read.
            }
        }
        return stats;
    }
}
