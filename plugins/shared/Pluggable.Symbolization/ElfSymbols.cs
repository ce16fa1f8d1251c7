using System.Collections.Concurrent;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using Pluggable.Unwinding;

namespace Pluggable.Symbolization;

/// <summary>
/// The function symbols of one ELF file (<c>.symtab</c>, else <c>.dynsym</c>), and how its file offsets map to its
/// virtual addresses. When a separate debug file with the same build id is found (see <see cref="DebugFileLocator"/>),
/// its symbols are used instead: that is how a stripped libcoreclr.so or libc gets names for its internal functions.
/// </summary>
public sealed class ElfSymbols
{
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Modified), ElfSymbols?> Cache = new();

    private readonly ElfSegments _segments;

    private ElfSymbols(SymbolTable symbols, ElfSegments segments, BuildId? buildId, string? debugFile)
    {
        Symbols = symbols;
        _segments = segments;
        BuildId = buildId;
        DebugFile = debugFile;
    }

    public SymbolTable Symbols { get; }

    public BuildId? BuildId { get; }

    /// <summary>The separate debug file the symbols came from, or null when they are the file's own.</summary>
    public string? DebugFile { get; }

    /// <summary>The symbols of an ELF file, with those of a debug file beside it or in the system's debug folder; null when it is not a readable ELF file.</summary>
    public static ElfSymbols? Load(string path) => Load(path, DebugFileLocator.System);

    /// <summary>The symbols of an ELF file, with those of the debug file <paramref name="debugFiles"/> finds for it; null when it is not a readable ELF file.</summary>
    public static ElfSymbols? Load(string path, DebugFileLocator debugFiles)
    {
        if (ReadOnce(path) is not { } own)
        {
            return null;
        }
        // A debug file of another build would name every frame wrongly: the file beside may be stale, a folder mislaid.
        if (debugFiles.Find(path, own.BuildId) is not { } debugPath
            || ReadOnce(debugPath) is not { } debug
            || (debug.BuildId is { } debugId && debugId != own.BuildId)
            || debug.Symbols.Count <= own.Symbols.Count)
        {
            return own;
        }
        return new ElfSymbols(debug.Symbols, own._segments, own.BuildId, debugPath);
    }

    /// <summary>The virtual address (as the ELF file's symbols use) of a file offset, through the loadable segment that holds it.</summary>
    public ulong? ToVirtualAddress(ulong fileOffset) => _segments.ToVirtualAddress(fileOffset);

    // Read once per version of a file: a profile asks for the same libraries at every stop.
    private static ElfSymbols? ReadOnce(string path)
    {
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Cache.GetOrAdd((path, info.Length, info.LastWriteTimeUtc), key => Read(key.Path));
    }

    private static ElfSymbols? Read(string path)
    {
        try
        {
            if (!ELFReader.TryLoad(path, out IELF elf))
            {
                return null;
            }
            using (elf)
            {
                if (elf.Class != Class.Bit64)
                {
                    return null;
                }
                return new ElfSymbols(FunctionSymbols(elf), ElfSegments.Of(elf), BuildId.Of(elf), debugFile: null);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or EndOfStreamException)
        {
            return null;
        }
    }

    private static SymbolTable FunctionSymbols(IELF elf)
    {
        var tables = elf.Sections.OfType<SymbolTable<ulong>>().ToArray();
        var table = tables.FirstOrDefault(t => t.Name == ".symtab") ?? tables.FirstOrDefault(t => t.Name == ".dynsym");
        if (table is null)
        {
            return SymbolTable.Empty;
        }
        // One function often has several names (glibc's clone3, __clone3 and __GI___clone3): the one callers use wins.
        return new SymbolTable(table.Entries
            .Where(e => e.Type == SymbolType.Function && e.Value != 0 && !string.IsNullOrEmpty(e.Name))
            .GroupBy(e => (e.Value, e.Size))
            .Select(aliases => (aliases.Key.Value, aliases.Key.Size, aliases.OrderBy(AliasRank).ThenBy(e => e.Name.Length).First().Name)));
    }

    /// <summary>Exported before local names, and among those a plain name before glibc's internal aliases and underscored spellings.</summary>
    private static (int Binding, bool Internal, int Underscores) AliasRank(SymbolEntry<ulong> symbol) =>
        (symbol.Binding switch { SymbolBinding.Global => 0, SymbolBinding.Weak => 1, _ => 2 },
         symbol.Name.StartsWith("__GI_", StringComparison.Ordinal),
         symbol.Name.TakeWhile(c => c == '_').Count());
}
