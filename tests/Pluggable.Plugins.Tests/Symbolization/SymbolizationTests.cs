using System.Diagnostics;
using Pluggable.Core.Profiles;
using Pluggable.Symbolization;
using Pluggable.Testing;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Tests.Symbolization;

public sealed class ElfFixture : IDisposable
{
    private readonly TempFolder _folder = new("pluggable-elf");

    public ElfFixture()
    {
        Library = _folder.File("libfixture.so");
        var gcc = Process.Start(new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-O1", "-o", Library, Path.Combine(RepoPaths.Tests, "Fixtures", "Elf", "fixture.c")]) { RedirectStandardError = true })!;
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        gcc.ExitCode.Should().Be(0, errors);
        // nm prints each function's address and size: the truth to check the reader against.
        var nm = Process.Start(new ProcessStartInfo("nm", ["-S", "--defined-only", Library]) { RedirectStandardOutput = true })!;
        Symbols = nm.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .Where(p => p.Length == 4 && p[2] is "T" or "t")
            .ToDictionary(p => p[3], p => (Address: Convert.ToUInt64(p[0], 16), Size: Convert.ToUInt64(p[1], 16)));
        nm.WaitForExit();
    }

    public string Library { get; }

    public IReadOnlyDictionary<string, (ulong Address, ulong Size)> Symbols { get; }

    public void Dispose() => _folder.Dispose();
}

public class SymbolizationTests(ElfFixture elf) : IClassFixture<ElfFixture>
{
    [Theory]
    [InlineData("fixture_alpha")]
    [InlineData("fixture_beta")]
    [InlineData("fixture_gamma")]
    [InlineData("fixture_hidden")]
    public void ElfSymbols_name_every_address_inside_a_function_including_static_ones(string function)
    {
        var symbols = ElfSymbols.Load(elf.Library)!;
        var (address, size) = elf.Symbols[function];

        symbols.Symbols.Lookup(address).Should().Be(function);
        symbols.Symbols.Lookup(address + size - 1).Should().Be(function);
    }

    [Fact]
    public void A_native_address_in_a_loaded_library_is_named_through_its_mapping()
    {
        // As the library would be mapped: its executable segment at some base, at the segment's file offset.
        var symbols = ElfSymbols.Load(elf.Library)!;
        var (gamma, _) = elf.Symbols["fixture_gamma"];
        const ulong textOffset = 0x1000;
        const ulong mappedAt = 0x7f00_1234_5000;
        var maps = ProcessMaps.Parse([$"{mappedAt:x}-{mappedAt + 0x1000:x} r-xp {textOffset:x8} fd:01 4242 {elf.Library}"]);
        var address = mappedAt + (gamma - symbols.ToVirtualAddress(textOffset)!.Value);

        var frame = new NativeStackSymbolizer(maps, ManagedCodeMap.Empty, KernelSymbols.None).Symbolize(address + 2);

        frame.Should().Be(new Frame("fixture_gamma", FrameKind.Native));
    }

    [Fact]
    public void An_address_in_a_library_without_symbols_is_named_by_file_and_offset()
    {
        using var folder = new TempFolder();
        var stripped = folder.File("libcoreclr.so");
        File.Copy(elf.Library, stripped);
        Process.Start("strip", ["--strip-all", stripped])!.WaitForExit();
        var maps = ProcessMaps.Parse([$"7f0000001000-7f0000002000 r-xp 00001000 fd:01 77 {stripped}"]);

        var frame = new NativeStackSymbolizer(maps, ManagedCodeMap.Empty, KernelSymbols.None).Symbolize(0x7f0000001234);

        frame.Kind.Should().Be(FrameKind.Runtime, "libcoreclr is the runtime");
        frame.Name.Should().MatchRegex(@"^libcoreclr\.so\+0x[0-9a-f]+$");
    }

    [Fact]
    public void PerfMap_names_methods_as_Namespace_Type_Method_without_signature_or_tier()
    {
        using var folder = new TempFolder();
        File.WriteAllLines(folder.File("perf-1.map"),
        [
            "0x7f5622073070 f4 void [exp] Exp.Burn::Worker(int32)[QuickJitted]",
            "0x7f5622074000 1a0 instance void [System.Private.CoreLib] System.Collections.Generic.List`1[System.Int32]::AddWithResize(!0)[OptimizedTier1]",
            "0x7f5622075000 80 int32[] [exp] Exp.Burn::<Main>b__0_0(class System.String[])[OptimizedTier1OSR]",
            "0x7f5622076000 20 stub<1> AllocateTemporaryEntryPoints<PRECODE_STUB>",
            "0x7f5622077000 400 stub ReportStubBlock<VSD_ResolveStub>",
            "0x7f5622078000 21 stub CreateDictionaryLookupHelper<DynamicHelper>",
            "0x7f5622079000 40 int32 [Emitted] dynamicClass::Build(<b>x</b>)(int32)[Optimized]",
            "this line is not a map entry",
        ]);

        var entries = PerfMapFile.Read(folder.File("perf-1.map")).ToArray();

        entries.Select(e => e.Name).Should().Equal(
            "Exp.Burn.Worker",
            "System.Collections.Generic.List`1[System.Int32].AddWithResize",
            "Exp.Burn.<Main>b__0_0",
            "[stub] PRECODE_STUB",
            "[stub] VSD_ResolveStub",
            "[stub] DictionaryLookupHelper",
            "dynamicClass.Build(<b>x</b>)");
        entries[0].Start.Should().Be(0x7f5622073070);
        entries[0].Size.Should().Be(0xf4);
        entries.Select(e => e.IsOsr).Should().Equal(false, false, true, false, false, false, false);
    }

    [Fact]
    public void Managed_addresses_are_named_by_absolute_address_whatever_mapping_holds_them()
    {
        var maps = ProcessMaps.Parse(["7f5622000000-7f5622100000 r-xs 00000000 00:01 99 /memfd:doublemapper (deleted)"]);
        var managed = new ManagedCodeMap(new SymbolTable([(0x7f5622073070UL, 0xf4UL, "Exp.Burn.Worker"), (0x7f5622076000UL, 0x20UL, "[stub] Precode")]), SymbolTable.Empty);
        var symbolizer = new NativeStackSymbolizer(maps, managed, KernelSymbols.None);

        symbolizer.Symbolize(0x7f5622073080).Should().Be(new Frame("Exp.Burn.Worker", FrameKind.Managed));
        symbolizer.Symbolize(0x7f5622076004).Should().Be(new Frame("[stub] Precode", FrameKind.Runtime));
        symbolizer.Symbolize(0x7f5622090000).Should().Be(new Frame("[jitted code]", FrameKind.Managed));
        symbolizer.Symbolize(0xffffffff81000010).Should().Be(new Frame("[kernel]", FrameKind.Kernel));
    }

    [Fact]
    public void Kernel_addresses_are_named_from_kallsyms_when_visible()
    {
        using var folder = new TempFolder();
        File.WriteAllLines(folder.File("kallsyms"), ["ffffffff81000000 T _stext", "ffffffff81000100 t do_syscall_64", "ffffffff81000200 D some_data", "ffffffffc0001000 t ftrace_trampoline\t[__builtin__ftrace]"]);

        var kernel = KernelSymbols.Read(folder.File("kallsyms"));

        kernel.Available.Should().BeTrue();
        kernel.Lookup(0xffffffff81000150).Should().Be("do_syscall_64");
        kernel.Lookup(0xffffffffc0001010).Should().Be("ftrace_trampoline", "a module's name is no part of its function's");
        KernelSymbols.Read("/nonexistent").Available.Should().BeFalse();
    }

    [Fact]
    public void An_OSR_frame_and_its_unoptimized_copy_show_as_one_frame()
    {
        var maps = ProcessMaps.Parse([]);
        var managed = new ManagedCodeMap(
            new SymbolTable([(0x1000UL, 0x100UL, "App.Loop"), (0x2000UL, 0x100UL, "App.Loop"), (0x3000UL, 0x100UL, "App.Main")]),
            new SymbolTable([(0x2000UL, 0x100UL, "App.Loop")]));
        var aggregator = new AddressStackAggregator(byThread: false);
        aggregator.Add(1, [0x2010, 0x1010, 0x3010]);

        var profile = aggregator.Build(new NativeStackSymbolizer(maps, managed, KernelSymbols.None), new ProfileMetadata { Event = "cpu" }, null);

        string.Join(";", profile.FrameNames(profile.Stacks.Single())).Should().Be("App.Main;App.Loop");
    }
}
