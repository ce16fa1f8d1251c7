namespace Pluggable.Symbolization;

/// <summary>
/// Finds the separate debug file of an ELF file on disk: beside it (<c>libcoreclr.so.dbg</c>, as the .NET SDK's symbol
/// packages put them), by build id in the system's <c>/usr/lib/debug</c> (Debian's <c>-dbg</c> packages), then in each
/// folder in order, in the SSQP layout of symbol servers and dotnet-symbol's cache or in the flat build-id layout.
/// Whether a file found really belongs to the ELF file is checked by whoever reads it (<see cref="ElfSymbols"/>).
/// </summary>
/// <param name="folders">Folders of debug files, searched in order after the system's.</param>
/// <param name="systemDebugRoot">The system's debug folder; null leaves it out (tests that must not see installed debug files).</param>
public sealed class DebugFileLocator(IReadOnlyList<string> folders, string? systemDebugRoot = DebugFileLocator.SystemDebugRoot)
{
    public const string SystemDebugRoot = "/usr/lib/debug";

    /// <summary>Beside the file and in the system's folder only.</summary>
    public static DebugFileLocator System { get; } = new([]);

    /// <summary>The path of a debug file for <paramref name="path"/>, or null when none of the places holds one.</summary>
    public string? Find(string path, BuildId? buildId)
    {
        var beside = path + ".dbg";
        if (File.Exists(beside))
        {
            return beside;
        }
        return buildId is null ? null : Candidates(Path.GetFileName(path), buildId).FirstOrDefault(File.Exists);
    }

    private IEnumerable<string> Candidates(string fileName, BuildId buildId)
    {
        if (systemDebugRoot is not null)
        {
            yield return Path.Combine(systemDebugRoot, buildId.BuildIdPath);
        }
        foreach (var folder in folders)
        {
            if (buildId.SymbolFileKey is { } key)
            {
                yield return Path.Combine(folder, key);
            }
            if (buildId.NamedSymbolFileKey(fileName) is { } named)
            {
                yield return Path.Combine(folder, named);
            }
            yield return Path.Combine(folder, buildId.BuildIdPath);
        }
    }
}
