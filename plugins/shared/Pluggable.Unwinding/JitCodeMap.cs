using System.Globalization;

namespace Pluggable.Unwinding;

/// <summary>What a perf map entry is.</summary>
public enum JitCodeKind : byte
{
    Method,
    Stub,

    /// <summary>A method's loop compiled by on-stack replacement (see <see cref="FrameRuleKind.OnStackReplacement"/>).</summary>
    OnStackReplacement,
}

/// <summary>
/// The jitted code and runtime stubs of a process as its perf map (<c>/tmp/perf-&lt;pid&gt;.map</c>) lists them, read
/// while the process runs: <see cref="Refresh"/> reads only what the runtime appended since the last call.
/// </summary>
public sealed class JitCodeMap(string path)
{
    private readonly List<(ulong Start, ulong Size, JitCodeKind Kind)> _pending = [];
    private ulong[] _starts = [];
    private ulong[] _ends = [];
    private JitCodeKind[] _kinds = [];
    private long _offset;
    private string _partialLine = "";

    public int Count => _starts.Length;

    /// <summary>Reads the lines added since the last call; cheap when nothing was added. Returns whether any were.</summary>
    public bool Refresh()
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length <= _offset)
            {
                return false;
            }
            file.Position = _offset;
            using var reader = new StreamReader(file);
            var text = _partialLine + reader.ReadToEnd();
            _offset = file.Length;
            var lastNewline = text.LastIndexOf('\n');
            _partialLine = text[(lastNewline + 1)..];
            foreach (var line in text[..(lastNewline + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryParseLine(line, out var start, out var size, out var name))
                {
                    _pending.Add((start, size, KindOf(name)));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        if (_pending.Count == 0)
        {
            return false;
        }
        var all = Enumerable.Range(0, _starts.Length).Select(i => (_starts[i], _ends[i] - _starts[i], _kinds[i])).Concat(_pending).OrderBy(r => r.Item1).ToArray();
        _starts = all.Select(r => r.Item1).ToArray();
        _ends = all.Select(r => r.Item1 + r.Item2).ToArray();
        _kinds = all.Select(r => r.Item3).ToArray();
        _pending.Clear();
        return true;
    }

    /// <summary>The start of the code that holds the address, and what code it is, if the map lists it.</summary>
    public bool TryFind(ulong address, out ulong start, out JitCodeKind kind)
    {
        var index = Array.BinarySearch(_starts, address);
        if (index < 0)
        {
            index = ~index - 1;
        }
        // A few steps back cover a short entry that starts before and ends after a longer one's start.
        for (var i = index; i >= 0 && i > index - 4; i--)
        {
            if (address >= _starts[i] && address < _ends[i])
            {
                (start, kind) = (_starts[i], _kinds[i]);
                return true;
            }
        }
        (start, kind) = (0, JitCodeKind.Method);
        return false;
    }

    /// <summary>The runtime lists its stubs (precode, dispatch, dynamic helpers) as <c>stub &lt;what&gt;</c>, and OSR code with an <c>OSR]</c> tier.</summary>
    public static JitCodeKind KindOf(string name) =>
        name.StartsWith("stub", StringComparison.Ordinal) ? JitCodeKind.Stub
        : name.EndsWith("OSR]", StringComparison.Ordinal) ? JitCodeKind.OnStackReplacement
        : JitCodeKind.Method;

    /// <summary>Parses <c>0x7f5622073070 f4 name</c> (start with 0x, size in hex, the rest is the name).</summary>
    public static bool TryParseLine(string line, out ulong start, out ulong size, out string name)
    {
        start = size = 0;
        name = "";
        var parts = line.Split(' ', 3);
        if (parts.Length != 3
            || !ulong.TryParse(parts[0].StartsWith("0x", StringComparison.Ordinal) ? parts[0][2..] : parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out start)
            || !ulong.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out size))
        {
            return false;
        }
        name = parts[2];
        return true;
    }
}
