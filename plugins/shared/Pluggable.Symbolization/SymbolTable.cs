namespace Pluggable.Symbolization;

/// <summary>Named address ranges sorted by start, looked up by address. Overlapping ranges resolve to the one that starts last.</summary>
public sealed class SymbolTable
{
    private readonly ulong[] _starts;
    private readonly ulong[] _ends;
    private readonly string[] _names;

    public SymbolTable(IEnumerable<(ulong Start, ulong Size, string Name)> symbols)
    {
        var sorted = symbols.Where(s => s.Size > 0).OrderBy(s => s.Start).ThenByDescending(s => s.Size).ToArray();
        _starts = sorted.Select(s => s.Start).ToArray();
        _ends = sorted.Select(s => s.Start + s.Size).ToArray();
        _names = sorted.Select(s => s.Name).ToArray();
    }

    public static SymbolTable Empty { get; } = new([]);

    public int Count => _names.Length;

    public string? Lookup(ulong address)
    {
        var index = Array.BinarySearch(_starts, address);
        if (index < 0)
        {
            index = ~index - 1;
        }
        // A few steps back cover a short range that starts before and ends after a longer one's start.
        for (var i = index; i >= 0 && i > index - 8; i--)
        {
            if (address >= _starts[i] && address < _ends[i])
            {
                return _names[i];
            }
        }
        return null;
    }
}
