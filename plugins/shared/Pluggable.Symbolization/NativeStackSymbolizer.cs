using Pluggable.Core.Profiles;
using Pluggable.Unwinding;

namespace Pluggable.Symbolization;

/// <summary>
/// Names the addresses of a native stack (kernel, native libraries, the runtime, jitted and ReadyToRun code) of one
/// process, and says which kind each frame is. Caches every address it has named; not thread-safe.
/// </summary>
public sealed class NativeStackSymbolizer(ProcessMaps maps, ManagedCodeMap managed, KernelSymbols kernel)
{
    /// <summary>Addresses at or above this are the kernel's on x86-64.</summary>
    public const ulong KernelStart = 0xffff_8000_0000_0000;

    private static readonly HashSet<string> RuntimeFiles = new(StringComparer.Ordinal)
    {
        "libcoreclr.so", "libclrjit.so", "libclrgc.so", "libhostpolicy.so", "libhostfxr.so", "dotnet",
    };

    private readonly Dictionary<ulong, Frame> _cache = [];

    public Frame Symbolize(ulong address)
    {
        if (!_cache.TryGetValue(address, out var frame))
        {
            frame = Name(address);
            _cache[address] = frame;
        }
        return frame;
    }

    /// <summary>True when the address is in code compiled by on-stack replacement (see <see cref="ManagedCodeMap.OnStackReplacement"/>).</summary>
    public bool IsOnStackReplacement(ulong address) => managed.OnStackReplacement.Lookup(address) is not null;

    private Frame Name(ulong address)
    {
        if (address >= KernelStart)
        {
            return new Frame(kernel.Lookup(address) ?? "[kernel]", FrameKind.Kernel);
        }
        if (managed.Methods.Lookup(address) is { } method)
        {
            return new Frame(method, method.StartsWith("[stub]", StringComparison.Ordinal) ? FrameKind.Runtime : FrameKind.Managed);
        }
        var mapping = maps.Find(address);
        if (mapping is null)
        {
            return new Frame("[unknown]", FrameKind.Native);
        }
        if (!mapping.IsFile)
        {
            // Jitted code the perf map and the rundown did not cover (a stub, or code freed before the stop).
            return new Frame(mapping.Path.StartsWith("/memfd:doublemapper", StringComparison.Ordinal) || mapping.Path.Length == 0 ? "[jitted code]" : $"[{mapping.FileName}]", FrameKind.Managed);
        }
        var file = mapping.FileName;
        var kind = RuntimeFiles.Contains(file) ? FrameKind.Runtime : file.EndsWith(".dll", StringComparison.Ordinal) ? FrameKind.Managed : FrameKind.Native;
        var fileOffset = mapping.FileOffsetOf(address);
        var elf = kind == FrameKind.Managed ? null : ElfSymbols.Load(mapping.Path);
        var virtualAddress = elf?.ToVirtualAddress(fileOffset) ?? fileOffset;
        var symbol = elf?.Symbols.Lookup(virtualAddress);
        return new Frame(symbol ?? $"{file}+0x{virtualAddress:x}", kind);
    }
}
