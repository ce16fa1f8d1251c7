using ELFSharp.ELF;
using ELFSharp.ELF.Segments;

namespace Pluggable.Unwinding;

/// <summary>How an ELF file's offsets map to the virtual addresses its symbols and call frame information use: through its loadable segments.</summary>
public sealed class ElfSegments
{
    private readonly (ulong Offset, ulong FileSize, ulong Address)[] _loadable;

    private ElfSegments((ulong, ulong, ulong)[] loadable) => _loadable = loadable;

    public static ElfSegments Of(IELF elf) => new(elf.Segments.OfType<Segment<ulong>>()
        .Where(s => s.Type == SegmentType.Load)
        .Select(s => ((ulong)s.Offset, (ulong)s.FileSize, s.Address))
        .ToArray());

    /// <summary>The virtual address of a file offset, through the loadable segment that holds it; null when none does.</summary>
    public ulong? ToVirtualAddress(ulong fileOffset)
    {
        foreach (var (offset, size, address) in _loadable)
        {
            if (fileOffset >= offset && fileOffset < offset + size)
            {
                return fileOffset - offset + address;
            }
        }
        return null;
    }
}
