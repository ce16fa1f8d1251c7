using Pluggable.Core.Profiles;
using Pluggable.Unwinding;

namespace Pluggable.Symbolization;

/// <summary>
/// The .NET runtime's perf map, <c>/tmp/perf-&lt;pid&gt;.map</c>: one line per piece of jitted code,
/// <c>0x7f5622073070 f4 void [exp] Exp.Burn::Worker(int32)[QuickJitted]</c> (start with 0x, size in hex, then the name).
/// Since .NET 7 jitted code is double-mapped (W^X) and its executable pages look like <c>/memfd:doublemapper</c> in
/// the process's maps, so managed addresses are named by their absolute address here, whatever mapping holds them.
/// </summary>
public static class PerfMapFile
{
    public static string PathFor(int pid) => $"/tmp/perf-{pid}.map";

    /// <summary>Reads the map; <c>IsOsr</c> marks code compiled by on-stack replacement, whose frames return into the same method's unoptimized code.</summary>
    public static IEnumerable<(ulong Start, ulong Size, string Name, bool IsOsr)> Read(string path)
    {
        IEnumerable<string> lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var line in lines)
        {
            if (JitCodeMap.TryParseLine(line, out var start, out var size, out var name))
            {
                yield return (start, size, CleanName(name), JitCodeMap.KindOf(name) == JitCodeKind.OnStackReplacement);
            }
        }
    }

    /// <summary>
    /// <c>Namespace.Type.Method</c> with generic arguments, as EventPipe-based event types name frames, from the perf
    /// map's <c>returnType [Module] Namespace.Type::Method(params)[Tier]</c>. Stubs become <c>[stub] kind</c>.
    /// </summary>
    public static string CleanName(string perfMapName)
    {
        if (JitCodeMap.KindOf(perfMapName) == JitCodeKind.Stub)
        {
            return StubName(perfMapName);
        }
        var module = perfMapName.IndexOf(" [", StringComparison.Ordinal);
        var afterModule = module < 0 ? -1 : perfMapName.IndexOf("] ", module, StringComparison.Ordinal);
        var method = afterModule < 0 ? perfMapName : perfMapName[(afterModule + 2)..];
        // The code's tier ends the line when the runtime shows tiers: "...(int32)[OptimizedTier1]".
        if (method.EndsWith(']') && method.LastIndexOf('[') is var tier and > 0 && method[tier - 1] == ')')
        {
            method = method[..tier];
        }
        return MethodNames.WithoutParameters(method).Replace("::", ".", StringComparison.Ordinal);
    }

    /// <summary>
    /// <c>stub ReportStubBlock&lt;VSD_ResolveStub&gt;</c> becomes <c>[stub] VSD_ResolveStub</c>: the kind in brackets is
    /// what the stub is, the function before it only what made it; for the runtime's dynamic helpers that function says
    /// what the helper does (<c>CreateDictionaryLookupHelper&lt;DynamicHelper&gt;</c>: <c>[stub] DictionaryLookupHelper</c>).
    /// </summary>
    private static string StubName(string perfMapName)
    {
        var space = perfMapName.IndexOf(' ');
        var what = space > 0 ? perfMapName[(space + 1)..] : perfMapName;
        var open = what.IndexOf('<');
        if (open <= 0 || !what.EndsWith('>'))
        {
            return "[stub] " + what;
        }
        var kind = what[(open + 1)..^1];
        var maker = what[..open];
        return kind == "DynamicHelper" && maker.StartsWith("Create", StringComparison.Ordinal) && maker.Length > "Create".Length
            ? "[stub] " + maker["Create".Length..]
            : "[stub] " + kind;
    }
}
