using Pluggable.Core.Profiles;
using Pluggable.Unwinding;

namespace Pluggable.Symbolization;

/// <summary>
/// Names the addresses of a native stack (kernel, native libraries, the runtime, jitted and ReadyToRun code) of one
/// process, and says which kind each frame is. Caches every address it has named; not thread-safe.
/// </summary>
/// <param name="maps">What the process had mapped where.</param>
/// <param name="managed">The managed code's names (perf map and rundown).</param>
/// <param name="kernel">The kernel's names.</param>
/// <param name="debugSymbols">Where debug files of stripped libraries are found; default: beside them and in the system's debug folder.</param>
public sealed class NativeStackSymbolizer(ProcessMaps maps, ManagedCodeMap managed, KernelSymbols kernel, DebugSymbols? debugSymbols = null)
{
    /// <summary>Addresses at or above this are the kernel's on x86-64.</summary>
    public const ulong KernelStart = 0xffff_8000_0000_0000;

    private static readonly HashSet<string> RuntimeFiles = new(StringComparer.Ordinal)
    {
        "libcoreclr.so", "libclrjit.so", "libclrgc.so", "libhostpolicy.so", "libhostfxr.so", "dotnet",
    };

    private readonly Dictionary<ulong, Frame> _cache = [];
    private readonly Dictionary<string, ElfSymbols?> _elfByPath = [];
    private readonly Dictionary<string, ReadyToRunMethodNames?> _readyToRunByPath = [];
    private readonly Dictionary<ulong, ulong?> _imageBaseByMapping = [];
    private readonly Dictionary<string, string> _missingSymbols = [];
    private readonly DebugSymbols _debugSymbols = debugSymbols ?? DebugSymbols.Local;

    public Frame Symbolize(ulong address)
    {
        if (!_cache.TryGetValue(address, out var frame))
        {
            frame = Name(address);
            _cache[address] = frame;
        }
        return frame;
    }

    /// <summary>The libraries whose frames went unnamed for want of a debug file, each with why and what is done about it.</summary>
    public IReadOnlyDictionary<string, string> MissingSymbols => _missingSymbols;

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
        if (kind == FrameKind.Managed && ReadyToRunNameOf(mapping, address) is { } precompiled)
        {
            return new Frame(precompiled, FrameKind.Managed);
        }
        var fileOffset = mapping.FileOffsetOf(address);
        var elf = kind == FrameKind.Managed ? null : ElfOf(mapping.Path);
        var virtualAddress = elf?.ToVirtualAddress(fileOffset) ?? fileOffset;
        var symbol = elf?.Symbols.Lookup(virtualAddress);
        if (symbol is null && elf is { DebugFile: null } && !_missingSymbols.ContainsKey(file))
        {
            _missingSymbols[file] = _debugSymbols.Missing(elf.BuildId);
        }
        return new Frame(symbol ?? $"{file}+0x{virtualAddress:x}", kind);
    }

    /// <summary>Precompiled code the rundown did not name (a P/Invoke's marshalling stub), named from its assembly's ReadyToRun image.</summary>
    private string? ReadyToRunNameOf(Mapping code, ulong address)
    {
        if (!_readyToRunByPath.TryGetValue(code.Path, out var names))
        {
            using var image = ReadyToRunImage.Open(code.Path);
            names = image?.ReadMethodNames();
            _readyToRunByPath[code.Path] = names;
        }
        if (names is null)
        {
            return null;
        }
        // Once per mapping: finding an image's base looks through every mapping of the process.
        if (!_imageBaseByMapping.TryGetValue(code.Start, out var imageBase))
        {
            imageBase = ReadyToRunImage.ImageBase(maps, code, names.SizeOfImage);
            _imageBaseByMapping[code.Start] = imageBase;
        }
        return imageBase is { } found ? names.NameAt((uint)(address - found)) : null;
    }

    // Once per library and stop, not per address: finding its debug file looks in several folders.
    private ElfSymbols? ElfOf(string path)
    {
        if (!_elfByPath.TryGetValue(path, out var elf))
        {
            elf = ElfSymbols.Load(path, _debugSymbols.Locator);
            _elfByPath[path] = elf;
        }
        return elf;
    }
}
