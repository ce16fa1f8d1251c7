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

    public string? Lookup(ulong address) => TryFind(address, out _) is { } index ? _names[index] : null;

    /// <summary>The start of the range that holds the address, or null.</summary>
    public ulong? StartOf(ulong address) => TryFind(address, out var start) is not null ? start : null;

    private int? TryFind(ulong address, out ulong start)
    {
        start = 0;
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
                start = _starts[i];
                return i;
            }
        }
        return null;
    }
}
