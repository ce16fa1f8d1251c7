using ELFSharp.ELF;
using ELFSharp.ELF.Sections;

namespace Pluggable.Unwinding;

/// <summary>An ELF file's call frame information, and how its file offsets map to the virtual addresses the information uses.</summary>
internal sealed class ElfUnwindInfo(ElfSegments segments, DwarfCallFrames callFrames)
{
    public DwarfCallFrames CallFrames { get; } = callFrames;

    public ulong? ToVirtualAddress(ulong fileOffset) => segments.ToVirtualAddress(fileOffset);

    public static ElfUnwindInfo? Load(string path)
    {
        try
        {
            if (!ELFReader.TryLoad(path, out IELF elf))
            {
                return null;
            }
            using (elf)
            {
                if (elf.Class != Class.Bit64 || elf.Sections.OfType<Section<ulong>>().FirstOrDefault(s => s.Name == ".eh_frame") is not { } frames)
                {
                    return null;
                }
                var header = elf.Sections.OfType<Section<ulong>>().FirstOrDefault(s => s.Name == ".eh_frame_hdr");
                return new ElfUnwindInfo(ElfSegments.Of(elf), DwarfCallFrames.Parse(frames.GetContents(), frames.LoadAddress, header?.GetContents(), header?.LoadAddress ?? 0));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or EndOfStreamException or InvalidDataException)
        {
            return null;
        }
    }
}
