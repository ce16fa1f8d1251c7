using System.Runtime.InteropServices;
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
    public void An_il_only_assembly_has_no_readyToRun_code()
    {
        ReadyToRunImage.Open(typeof(ReadyToRunImageTests).Assembly.Location).Should().BeNull();
    }
}
