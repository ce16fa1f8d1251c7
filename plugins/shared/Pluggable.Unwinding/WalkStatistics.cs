using System.Globalization;

namespace Pluggable.Unwinding;

/// <summary>How a session's stack walks ended, by reason and by the kind of code they ended in: a profile says how whole its stacks are.</summary>
public sealed class WalkStatistics
{
    private readonly Dictionary<(WalkEnd End, CodeKind Kind), long> _counts = [];

    public long Walks { get; private set; }

    /// <summary>Walks carried on past the copied stack by the kernel's frame-pointer callchain.</summary>
    public long Continued { get; private set; }

    public long Whole => _counts.Where(c => c.Key.End == WalkEnd.ThreadEntry).Sum(c => c.Value);

    public void Add(WalkEnd end, CodeKind kind, long count = 1)
    {
        _counts[(end, kind)] = _counts.GetValueOrDefault((end, kind)) + count;
        Walks += count;
    }

    public void Add(in WalkResult walk)
    {
        Add(walk.End, walk.EndedIn);
        Continued += walk.ContinuedFromCallchain ? 1 : 0;
    }

    public IEnumerable<(WalkEnd End, CodeKind Kind, long Count)> Counts => _counts.Select(c => (c.Key.End, c.Key.Kind, c.Value));

    /// <summary><c>ThreadEntry/Native=950,StackNotReadable/Jitted=3</c>: how an agent process reports them.</summary>
    public string Encode() => string.Join(",", _counts.Select(c => $"{c.Key.End}/{c.Key.Kind}={c.Value.ToString(CultureInfo.InvariantCulture)}"));

    public void AddEncoded(string encoded)
    {
        foreach (var part in encoded.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = part.Split('=') is [var k, var v] ? (k, v) : (part, "");
            var names = key.Split('/');
            if (names.Length == 2 && Enum.TryParse<WalkEnd>(names[0], out var end) && Enum.TryParse<CodeKind>(names[1], out var kind)
                && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
            {
                Add(end, kind, count);
            }
        }
    }

    /// <summary>"98.7% whole (from the thread's entry); ended early: 0.9% stack not readable in jitted code, ..." for a profile's metadata.</summary>
    public string Describe()
    {
        if (Walks == 0)
        {
            return "no stacks walked";
        }
        string Percent(long n) => (100.0 * n / Walks).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        var early = _counts.Where(c => c.Key.End != WalkEnd.ThreadEntry).OrderByDescending(c => c.Value).Take(5)
            .Select(c => $"{Percent(c.Value)} {Words(c.Key.End)} in {Words(c.Key.Kind)}");
        var text = $"{Percent(Whole)} whole (from the thread's entry)";
        if (Continued > 0)
        {
            text += $", {Percent(Continued)} carried past the copied stack by the kernel's frame-pointer callchain";
        }
        return Whole == Walks ? text : $"{text}; ended early: {string.Join(", ", early)}";
    }

    private static string Words(WalkEnd end) => end switch
    {
        WalkEnd.TooDeep => "too deep",
        WalkEnd.NoUnwindInfo => "no unwind info",
        WalkEnd.StackNotReadable => "stack not readable",
        WalkEnd.ReturnAddressNotCode => "a return address to no code",
        WalkEnd.StackNotGrowing => "a frame below its callee",
        _ => end.ToString(),
    };

    private static string Words(CodeKind kind) => kind switch
    {
        CodeKind.None => "no code",
        CodeKind.Jitted => "jitted code",
        CodeKind.Stub => "a runtime stub",
        CodeKind.UnlistedJitted => "jitted code the perf map does not list",
        CodeKind.ReadyToRun => "ReadyToRun code",
        CodeKind.Native => "native code",
        _ => kind.ToString(),
    };
}
