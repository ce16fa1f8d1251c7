using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Tests.Unwinding;

/// <summary>The DWARF call frame information of real libraries, held against what binutils' readelf makes of it.</summary>
public class DwarfCallFramesTests
{
    public static TheoryData<string> Libraries => new()
    {
        "/lib/x86_64-linux-gnu/libc.so.6",
        Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libcoreclr.so"),
    };

    [SkippableTheory]
    [MemberData(nameof(Libraries))]
    public void Every_row_readelf_interprets_gives_the_same_cfa_and_saved_rbp(string library)
    {
        Skip.IfNot(File.Exists("/usr/bin/readelf"), "binutils' readelf is not installed");
        var frames = ElfUnwindInfo.Load(library)!.CallFrames;
        var rows = ReadelfRows(library).ToList();

        rows.Count.Should().BeGreaterThan(1000);
        var checkedRows = 0;
        foreach (var row in rows)
        {
            var found = frames.TryFind(row.Location, out var rule);
            if (row.Cfa is null)
            {
                continue; // An expression (PLT entries, signal trampolines), or a rule a walk cannot follow.
            }
            found.Should().BeTrue($"{library} has a row at 0x{row.Location:x}");
            if (row.ReturnAddressUndefined)
            {
                rule.Kind.Should().Be(FrameRuleKind.Outermost, $"0x{row.Location:x} is a thread's first frame");
                continue;
            }
            rule.Should().Be(new FrameRule(FrameRuleKind.Call, row.Cfa.Value.Register, row.Cfa.Value.Offset, row.SavedRbp), $"the row at 0x{row.Location:x}");
            checkedRows++;
        }
        checkedRows.Should().BeGreaterThan(1000);
    }

    /// <summary>The rows of <c>readelf --debug-dump=frames-interp</c>: location, CFA (<c>rsp+8</c>, <c>rbp+16</c> or <c>exp</c>), rbp's column, ra's column.</summary>
    private static IEnumerable<(ulong Location, (CfaRegister Register, int Offset)? Cfa, int SavedRbp, bool ReturnAddressUndefined)> ReadelfRows(string library)
    {
        var start = new ProcessStartInfo("readelf", ["--debug-dump=frames-interp", library]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        string[]? columns = null;
        var inFde = false;
        ulong fdeEnd = 0;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 3 && fields[3] is "FDE" or "CIE")
            {
                // A CIE's rows are its initial rules, at no address of their own.
                inFde = fields[3] == "FDE";
                fdeEnd = inFde && fields.Last().Split("..") is [_, var end] ? ulong.Parse(end, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;
                continue;
            }
            if (fields.Length > 1 && fields[0] == "LOC" && fields[1] == "CFA")
            {
                columns = inFde ? fields : null;
                continue;
            }
            // readelf also prints the row a function's last instruction leads to, at its end: no address of it.
            if (columns is null || fields.Length != columns.Length || !ulong.TryParse(fields[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var location) || location >= fdeEnd)
            {
                if (line.Length == 0)
                {
                    columns = null;
                }
                continue;
            }
            var cfa = fields[1] switch
            {
                var f when f.StartsWith("rsp+", StringComparison.Ordinal) => (CfaRegister.StackPointer, int.Parse(f[4..], CultureInfo.InvariantCulture)),
                var f when f.StartsWith("rbp+", StringComparison.Ordinal) => (CfaRegister.FramePointer, int.Parse(f[4..], CultureInfo.InvariantCulture)),
                _ => ((CfaRegister, int)?)null,
            };
            var rbp = Array.IndexOf(columns, "rbp");
            var savedRbp = rbp > 0 && fields[rbp].StartsWith("c-", StringComparison.Ordinal) ? -int.Parse(fields[rbp][2..], CultureInfo.InvariantCulture) : 0;
            var ra = Array.IndexOf(columns, "ra");
            if ((rbp > 0 && fields[rbp] is not ("u" or "s") && savedRbp == 0) || fields[ra] is not ("c-8" or "u"))
            {
                // rbp in another register or an expression, or the return address anywhere but below the CFA (a few of
                // the runtime's assembly stubs): not a rule a walk follows.
                cfa = null;
            }
            yield return (location, cfa, savedRbp, fields[ra] == "u");
        }
        process.WaitForExit();
    }
}
