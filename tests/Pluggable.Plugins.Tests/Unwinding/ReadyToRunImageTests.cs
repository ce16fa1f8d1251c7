using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Pluggable.Symbolization;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Tests.Unwinding;

/// <summary>The ReadyToRun code of the framework this test runs on.</summary>
public class ReadyToRunImageTests
{
    private static readonly string CoreLib = Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "System.Private.CoreLib.dll");

    [Fact]
    public void Every_function_of_corelib_starts_with_its_return_address_on_top_of_the_stack()
    {
        using var image = ReadyToRunImage.Open(CoreLib)!;

        image.FunctionCount.Should().BeGreaterThan(10_000, "CoreLib is precompiled");
        var atEntry = 0;
        var chained = 0;
        foreach (var start in image.FunctionStarts)
        {
            image.TryFind(start, exact: false, out var rule).Should().BeTrue($"function at RVA 0x{start:x}");
            if (rule == FrameRule.AtEntry)
            {
                atEntry++;
            }
            else
            {
                chained++; // A funclet or a function's split-off part: it begins past its parent's prologue.
            }
        }
        ((double)atEntry / image.FunctionCount).Should().BeGreaterThan(0.8);
    }

    [Fact]
    public async Task A_methods_precompiled_body_is_where_the_runtimes_rundown_says_and_bears_its_name()
    {
        var method = typeof(Path).GetMethod(nameof(Path.GetFileNameWithoutExtension), [typeof(string)])!;
        Path.GetFileNameWithoutExtension("/a/b.c").Should().Be("b", "the method has run, so the runtime knows its code");
        using var image = ReadyToRunImage.Open(CoreLib)!;
        var maps = ProcessMaps.Read(Environment.ProcessId);
        var code = maps.Mappings.First(m => m.Path == CoreLib && m.IsExecutable);
        var imageBase = ReadyToRunImage.ImageBase(maps, code, image.SizeOfImage)!.Value;
        var rva = image.MethodEntryRva(method.MetadataToken)!.Value;

        var rundown = await ManagedSymbolSession.Begin(Environment.ProcessId, NullLogger.Instance).EndAsync(CancellationToken.None);

        rundown.Methods.StartOf(imageBase + rva).Should().Be(imageBase + rva, "the rundown puts the method's ReadyToRun code there");
        rundown.Methods.Lookup(imageBase + rva).Should().Be("System.IO.Path.GetFileNameWithoutExtension");
        var names = image.ReadMethodNames();
        names.NameAt(rva + 2).Should().Be("System.IO.Path.GetFileNameWithoutExtension");
        // Wherever both name CoreLib's precompiled code, they agree (the rundown spells out generic arguments).
        var both = Enumerable.Range(0, (int)((code.End - code.Start) / 64)).Select(i => code.Start + ((ulong)i * 64))
            .Select(a => (Rundown: rundown.Methods.Lookup(a), Ours: names.NameAt((uint)(a - imageBase))))
            .Where(n => n.Rundown is not null && n.Ours is not null)
            .ToArray();
        both.Length.Should().BeGreaterThan(100);
        both.Count(n => Regex.Replace(n.Rundown!, @"\[[^\]]*\]", "") == n.Ours).Should().BeGreaterThan((int)(0.95 * both.Length),
            string.Join("\n", both.Where(n => Regex.Replace(n.Rundown!, @"\[[^\]]*\]", "") != n.Ours).Take(10)));
    }

    [Fact]
    public void An_il_only_assembly_has_no_readyToRun_code()
    {
        ReadyToRunImage.Open(typeof(ReadyToRunImageTests).Assembly.Location).Should().BeNull();
    }
}
