using System.Globalization;

namespace Pluggable.Unwinding;

/// <summary>One line of /proc/&lt;pid&gt;/maps: an address range, its permissions and what backs it.</summary>
public sealed record Mapping(ulong Start, ulong End, string Permissions, ulong Offset, long Inode, string Path)
{
    public bool IsExecutable => Permissions.Length > 2 && Permissions[2] == 'x';

    /// <summary>Backed by a file on disk (not anonymous, not a memfd such as the JIT's doublemapper, not [vdso]).</summary>
    public bool IsFile => Path.StartsWith('/') && Inode != 0 && !Path.EndsWith(" (deleted)", StringComparison.Ordinal);

    public string FileName => System.IO.Path.GetFileName(Path.Split(" (deleted)")[0]);

    public bool Contains(ulong address) => address >= Start && address < End;

    /// <summary>Where in the mapped file an address in this mapping lies.</summary>
    public ulong FileOffsetOf(ulong address) => address - Start + Offset;
}

/// <summary>The memory map of a process, for finding which file (if any) an address belongs to.</summary>
public sealed class ProcessMaps
{
    private readonly Mapping[] _mappings;

    private ProcessMaps(IEnumerable<Mapping> mappings) => _mappings = mappings.OrderBy(m => m.Start).ToArray();

    public IReadOnlyList<Mapping> Mappings => _mappings;

    /// <summary>Reads /proc/&lt;pid&gt;/maps; throws when the process is gone or not readable.</summary>
    public static ProcessMaps Read(int pid) => Parse(File.ReadAllLines($"/proc/{pid}/maps"));

    /// <summary>Reads /proc/&lt;pid&gt;/maps, or null when the process is gone or not ours to read.</summary>
    public static ProcessMaps? TryRead(int pid)
    {
        try
        {
            return Read(pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static ProcessMaps Parse(IEnumerable<string> lines)
    {
        var mappings = new List<Mapping>();
        foreach (var line in lines)
        {
            // 7f1c2a000000-7f1c2a021000 r-xp 00000000 fd:01 1234   /usr/lib/x86_64-linux-gnu/libc.so.6
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 5)
            {
                continue;
            }
            var range = parts[0].Split('-');
            if (range.Length != 2
                || !ulong.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                || !ulong.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end)
                || !ulong.TryParse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var offset)
                || !long.TryParse(parts[4], CultureInfo.InvariantCulture, out var inode))
            {
                continue;
            }
            mappings.Add(new Mapping(start, end, parts[1], offset, inode, parts.Length > 5 ? parts[5].Trim() : ""));
        }
        return new ProcessMaps(mappings);
    }

    /// <summary>The mappings of both, the later one winning where they overlap: libraries loaded or unloaded during a session.</summary>
    public ProcessMaps Merge(ProcessMaps later) =>
        new(later._mappings.Concat(_mappings.Where(m => !later._mappings.Any(l => l.Start < m.End && m.Start < l.End))));

    public Mapping? Find(ulong address)
    {
        int low = 0, high = _mappings.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var mapping = _mappings[middle];
            if (address < mapping.Start)
            {
                high = middle - 1;
            }
            else if (address >= mapping.End)
            {
                low = middle + 1;
            }
            else
            {
                return mapping;
            }
        }
        return null;
    }
}
