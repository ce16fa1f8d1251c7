using System.Globalization;

namespace Pluggable.Symbolization;

/// <summary>Kernel function names from /proc/kallsyms, when kernel.kptr_restrict lets this process see their addresses.</summary>
public sealed class KernelSymbols
{
    private readonly ulong[] _addresses;
    private readonly string[] _names;

    private KernelSymbols(ulong[] addresses, string[] names)
    {
        _addresses = addresses;
        _names = names;
    }

    /// <summary>No kernel symbols: kernel frames are named <c>[kernel]</c>.</summary>
    public static KernelSymbols None { get; } = new([], []);

    /// <summary>False when the addresses are hidden (all zero): kernel frames are then named <c>[kernel]</c>.</summary>
    public bool Available => _addresses.Length > 0;

    public static KernelSymbols Read(string path = "/proc/kallsyms")
    {
        var symbols = new List<(ulong Address, string Name)>();
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                // "ffffffff81000000 T _stext", and for a module's code "ffffffffc0a01000 t nft_do_chain\t[nf_tables]"
                var parts = line.Split(' ', 3);
                if (parts.Length == 3 && parts[1] is "t" or "T" or "w" or "W"
                    && ulong.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var address) && address != 0)
                {
                    var tab = parts[2].IndexOf('\t');
                    symbols.Add((address, tab < 0 ? parts[2] : parts[2][..tab]));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No kallsyms for this process: kernel frames stay unnamed.
        }
        symbols.Sort((a, b) => a.Address.CompareTo(b.Address));
        return new KernelSymbols(symbols.Select(s => s.Address).ToArray(), symbols.Select(s => s.Name).ToArray());
    }

    /// <summary>The function at or before the address (kallsyms has no sizes), or null.</summary>
    public string? Lookup(ulong address)
    {
        var index = Array.BinarySearch(_addresses, address);
        if (index < 0)
        {
            index = ~index - 1;
        }
        return index >= 0 ? _names[index] : null;
    }
}
