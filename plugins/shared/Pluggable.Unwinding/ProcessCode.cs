namespace Pluggable.Unwinding;

/// <summary>What kind of code an address is in, as far as unwinding goes.</summary>
public enum CodeKind : byte
{
    /// <summary>Not in any executable mapping of the process.</summary>
    None,

    /// <summary>Jitted .NET code the perf map lists.</summary>
    Jitted,

    /// <summary>A runtime stub the perf map lists (precode, dispatch, dynamic helpers).</summary>
    Stub,

    /// <summary>Executable memory that is not in a file and not (yet) in the perf map.</summary>
    UnlistedJitted,

    /// <summary>Precompiled .NET code in an assembly file (ReadyToRun).</summary>
    ReadyToRun,

    /// <summary>Code of an ELF file: the runtime, libc, native libraries, the executable.</summary>
    Native,
}

/// <summary>
/// The code of one process, for walking its stacks: which kind of code an address is, and the rule for finding the
/// caller of a frame there, from the unwind info each kind has (DWARF CFI of ELF files, Windows x64 unwind info of
/// ReadyToRun assemblies, the prologues and epilogues of jitted code). Files are read once; rules are kept per address.
/// Not thread-safe.
/// </summary>
public sealed class ProcessCode : IFrameRules, IDisposable
{
    private const int CodeBytes = 48;
    private const int MaxCachedRules = 1 << 20;
    private static readonly TimeSpan MissRefreshInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MapsRefreshInterval = TimeSpan.FromSeconds(2);

    private readonly int _pid;
    private readonly IProcessMemory _memory;
    private readonly JitCodeMap _jit;
    private readonly Dictionary<string, ElfUnwindInfo?> _elfFiles = [];
    private readonly Dictionary<string, ReadyToRunImage?> _readyToRunFiles = [];
    private readonly Dictionary<ulong, ulong?> _imageBases = [];
    private readonly Dictionary<(ulong Address, bool Exact), (bool Found, FrameRule Rule, CodeKind Kind)> _rules = [];
    private readonly Dictionary<ulong, Prologue> _prologues = [];
    private ProcessMaps _maps = ProcessMaps.Parse([]);
    private long _lastMapsRead = long.MinValue / 2;

    public ProcessCode(int pid, IProcessMemory memory)
    {
        _pid = pid;
        _memory = memory;
        _jit = new JitCodeMap($"/tmp/perf-{pid}.map");
        Refresh();
    }

    /// <summary>
    /// Reads what changed since the last call: the jitted code the runtime added to its perf map, and now and then
    /// the mappings (an address in none of them reads them again at once; with a thousand mappings of jitted code,
    /// reading them every time would cost more than the samples).
    /// </summary>
    public void Refresh()
    {
        if (Environment.TickCount64 - _lastMapsRead >= MapsRefreshInterval.TotalMilliseconds)
        {
            ReadMaps();
        }
        if (_jit.Refresh())
        {
            // Code the perf map did not list before may have been looked up as unlisted, and freed code's space reused.
            _rules.Clear();
            _prologues.Clear();
        }
    }

    public bool IsCode(ulong address) => FindExecutable(address) is not null || _jit.TryFind(address, out _, out _);

    public bool TryGetRule(ulong address, bool exact, out FrameRule rule, out CodeKind kind)
    {
        if (!_rules.TryGetValue((address, exact), out var found))
        {
            if (_rules.Count >= MaxCachedRules)
            {
                _rules.Clear();
            }
            found.Found = TryFindRule(address, exact, out found.Rule, out found.Kind);
            _rules[(address, exact)] = found;
        }
        (rule, kind) = (found.Rule, found.Kind);
        return found.Found;
    }

    private bool TryFindRule(ulong address, bool exact, out FrameRule rule, out CodeKind kind)
    {
        rule = default;
        if (_jit.TryFind(address, out var start, out var jitKind))
        {
            kind = jitKind == JitCodeKind.Stub ? CodeKind.Stub : CodeKind.Jitted;
            if (jitKind == JitCodeKind.Stub)
            {
                return TryStubRule(address, exact, out rule);
            }
            if (jitKind == JitCodeKind.OnStackReplacement && !(exact && TryEpilogueAt(address, out rule)))
            {
                rule = FrameRule.OnStackReplacement;
                return true;
            }
            return TryJittedRule(address, start, exact, out rule);
        }
        var mapping = FindExecutable(address);
        if (mapping is null)
        {
            kind = CodeKind.None;
            return false;
        }
        if (!mapping.IsFile)
        {
            kind = CodeKind.UnlistedJitted;
            return false;
        }
        if (mapping.Path.EndsWith(".dll", StringComparison.Ordinal))
        {
            kind = CodeKind.ReadyToRun;
            return ReadyToRunImageOf(mapping) is var (image, imageBase) && image.TryFind((uint)(address - imageBase), exact, out rule);
        }
        kind = CodeKind.Native;
        var elf = ElfOf(mapping.Path);
        return elf is not null && elf.ToVirtualAddress(mapping.FileOffsetOf(address)) is { } virtualAddress && elf.CallFrames.TryFind(virtualAddress, out rule);
    }

    public bool TryGetStackPointerRule(ulong address, out FrameRule rule)
    {
        rule = default;
        if (!_jit.TryFind(address, out var start, out var kind) || kind != JitCodeKind.Method || PrologueOf(start) is not { } prologue)
        {
            return false;
        }
        rule = prologue.StackPointerRuleAt(Offset(address, start));
        return true;
    }

    /// <summary>Jitted code: its epilogue when the thread is in one, else what its prologue has done by then.</summary>
    private bool TryJittedRule(ulong address, ulong start, bool exact, out FrameRule rule)
    {
        rule = default;
        if (exact && TryEpilogueAt(address, out rule))
        {
            return true;
        }
        if (PrologueOf(start) is not { } prologue)
        {
            return false;
        }
        rule = prologue.RuleAt(Offset(address, start));
        return true;
    }

    private static int Offset(ulong address, ulong start) => (int)Math.Min(address - start, int.MaxValue);

    private Prologue? PrologueOf(ulong start)
    {
        if (!_prologues.TryGetValue(start, out var prologue))
        {
            Span<byte> code = stackalloc byte[CodeBytes];
            var read = _memory.Read(start, code);
            if (read == 0)
            {
                return null;
            }
            prologue = Prologue.Analyze(code[..read]);
            _prologues[start] = prologue;
        }
        return prologue;
    }

    /// <summary>Stubs push nothing before they jump on; the few that call out (resolve workers) are called with the return address on top.</summary>
    private bool TryStubRule(ulong address, bool exact, out FrameRule rule)
    {
        if (exact && TryEpilogueAt(address, out rule))
        {
            return true;
        }
        rule = FrameRule.AtEntry;
        return exact;
    }

    private bool TryEpilogueAt(ulong address, out FrameRule rule)
    {
        Span<byte> code = stackalloc byte[16];
        var read = _memory.Read(address, code);
        rule = default;
        return read > 0 && Epilogue.TryAnalyze(code[..read], out rule);
    }

    private Mapping? FindExecutable(ulong address)
    {
        var mapping = _maps.Find(address);
        if (mapping is null && Environment.TickCount64 - _lastMapsRead >= MissRefreshInterval.TotalMilliseconds)
        {
            // Memory mapped since the last refresh: a new code heap, a library loaded just now.
            ReadMaps();
            mapping = _maps.Find(address);
        }
        return mapping is { IsExecutable: true } ? mapping : null;
    }

    private (ReadyToRunImage Image, ulong Base)? ReadyToRunImageOf(Mapping code)
    {
        if (!_readyToRunFiles.TryGetValue(code.Path, out var image))
        {
            image = ReadyToRunImage.Open(code.Path);
            _readyToRunFiles[code.Path] = image;
        }
        if (image is null)
        {
            return null;
        }
        if (!_imageBases.TryGetValue(code.Start, out var imageBase))
        {
            imageBase = ReadyToRunImage.ImageBase(_maps, code, image.SizeOfImage);
            _imageBases[code.Start] = imageBase;
        }
        return imageBase is { } found ? (image, found) : null;
    }

    private void ReadMaps()
    {
        _lastMapsRead = Environment.TickCount64;
        _maps = ProcessMaps.TryRead(_pid) ?? _maps;
        _imageBases.Clear();
    }

    private ElfUnwindInfo? ElfOf(string path)
    {
        if (!_elfFiles.TryGetValue(path, out var elf))
        {
            elf = ElfUnwindInfo.Load(path);
            _elfFiles[path] = elf;
        }
        return elf;
    }

    public void Dispose()
    {
        foreach (var image in _readyToRunFiles.Values)
        {
            image?.Dispose();
        }
        _readyToRunFiles.Clear();
    }
}
