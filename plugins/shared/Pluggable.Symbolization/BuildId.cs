using ELFSharp.ELF;
using ELFSharp.ELF.Sections;

namespace Pluggable.Symbolization;

/// <summary>
/// The GNU build id of an ELF file, in lower-case hex: what a stripped library and its separate debug file share, and
/// what debug files are found by, on disk and on symbol servers.
/// </summary>
public sealed record BuildId(string Hex)
{
    private const uint GnuBuildIdNote = 3;

    /// <summary>The build id of an ELF file, or null when it has none.</summary>
    public static BuildId? Of(IELF elf)
    {
        var note = elf.Sections.OfType<NoteSection<ulong>>().FirstOrDefault(n => n.Name == ".note.gnu.build-id" && n.NoteType == GnuBuildIdNote && n.NoteName == "GNU");
        return note?.Description is { Length: > 0 } bytes ? new BuildId(Convert.ToHexStringLower(bytes)) : null;
    }

    /// <summary>Where the flat build-id layout of <c>/usr/lib/debug</c> (and of gdb, and debuginfod caches) keeps the debug file: <c>.build-id/xx/yyyy.debug</c>.</summary>
    public string BuildIdPath => Path.Combine(".build-id", Hex[..2], Hex[2..] + ".debug");

    /// <summary>
    /// The SSQP key of the debug file, <c>_.debug/elf-buildid-sym-&lt;id&gt;/_.debug</c>, under which symbol servers publish
    /// it and dotnet-symbol caches it; null for an id the key convention does not cover (outside 8 to 20 bytes).
    /// </summary>
    public string? SymbolFileKey => KeyHex is { } hex ? $"_.debug/elf-buildid-sym-{hex}/_.debug" : null;

    /// <summary>The SSQP key under the debug file's own name (<c>libcoreclr.so.dbg/elf-buildid-sym-&lt;id&gt;/libcoreclr.so.dbg</c>), as symbol folders written by older tools hold them.</summary>
    public string? NamedSymbolFileKey(string fileName)
    {
        var name = $"{fileName}.dbg".ToLowerInvariant();
        return KeyHex is { } hex ? $"{name}/elf-buildid-sym-{hex}/{name}" : null;
    }

    // The SSQP key conventions pad shorter ids (MD5 or UUID ones) with zero bytes to the 20 of a SHA-1.
    private string? KeyHex => Hex.Length is >= 16 and <= 40 ? Hex.PadRight(40, '0') : null;
}
