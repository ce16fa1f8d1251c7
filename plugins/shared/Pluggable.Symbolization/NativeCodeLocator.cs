using Pluggable.Unwinding;

namespace Pluggable.Symbolization;

/// <summary>
/// Finds native functions of a process by the ELF symbols of the file mapped at an address, for the unwinder: optimized
/// native code (libc, libm) keeps no frame pointer, and its prologue says where its return address lies.
/// </summary>
public sealed class NativeCodeLocator(int pid) : ICodeLocator
{
    private ProcessMaps _maps = ProcessMaps.Parse([]);

    // The unwinder asks for every native frame of every sample: the file's symbols are looked up once per mapping.
    private readonly Dictionary<Mapping, ElfSymbols?> _symbolsByMapping = [];

    /// <summary>Reads the process's maps again: libraries loaded since.</summary>
    public void Refresh() => _maps = ProcessMaps.TryRead(pid) ?? _maps;

    public ulong? StartOf(ulong address)
    {
        if (_maps.Find(address) is not { IsFile: true, IsExecutable: true } mapping || mapping.Path.EndsWith(".dll", StringComparison.Ordinal))
        {
            return null;
        }
        if (!_symbolsByMapping.TryGetValue(mapping, out var elf))
        {
            elf = ElfSymbols.Load(mapping.Path);
            _symbolsByMapping[mapping] = elf;
        }
        if (elf?.ToVirtualAddress(mapping.FileOffsetOf(address)) is not { } virtualAddress || elf.Symbols.StartOf(virtualAddress) is not { } symbolStart)
        {
            return null;
        }
        return address - (virtualAddress - symbolStart);
    }
}
