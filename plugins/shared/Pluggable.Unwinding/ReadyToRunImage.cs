using System.Buffers.Binary;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Pluggable.Unwinding;

/// <summary>
/// The precompiled (ReadyToRun) code of one .NET assembly file: its functions (the <c>RUNTIME_FUNCTION</c> table of
/// its ReadyToRun header) and their Windows x64 unwind info, which crossgen writes on every platform because the
/// runtime unwinds managed code with it. The framework (System.Private.CoreLib, ASP.NET Core) runs from such code
/// until tiering rejits what is hot, so a service's stacks cross it everywhere. Addresses are RVAs. Not thread-safe.
/// </summary>
public sealed class ReadyToRunImage : IDisposable
{
    private const uint ReadyToRunSignature = 0x00525452; // "RTR"
    private const int RuntimeFunctionsSection = 102;
    private const int MethodDefEntryPointsSection = 103;

    private readonly PEReader _pe;
    private readonly uint[] _begins;
    private readonly uint[] _ends;
    private readonly uint[] _unwindInfos;
    private readonly (int Rva, int Size) _methodEntryPoints;

    private ReadyToRunImage(PEReader pe, uint[] begins, uint[] ends, uint[] unwindInfos, (int, int) methodEntryPoints)
    {
        _pe = pe;
        _begins = begins;
        _ends = ends;
        _unwindInfos = unwindInfos;
        _methodEntryPoints = methodEntryPoints;
        SizeOfImage = (uint)pe.PEHeaders.PEHeader!.SizeOfImage;
    }

    public uint SizeOfImage { get; }

    public int FunctionCount => _begins.Length;

    /// <summary>The RVAs where its functions (and their funclets and cold parts) begin.</summary>
    internal IReadOnlyList<uint> FunctionStarts => _begins;

    /// <summary>Opens a file's ReadyToRun code; null when it is not a PE file with a ReadyToRun header (an IL-only assembly).</summary>
    public static ReadyToRunImage? Open(string path)
    {
        PEReader? pe = null;
        try
        {
            pe = new PEReader(File.OpenRead(path));
            if (pe.PEHeaders.CorHeader is not { ManagedNativeHeaderDirectory: { Size: > 0 } header } || pe.PEHeaders.PEHeader is null)
            {
                pe.Dispose();
                return null;
            }
            var data = Bytes(pe, header.RelativeVirtualAddress, header.Size);
            if (data.Length < 16 || BinaryPrimitives.ReadUInt32LittleEndian(data) != ReadyToRunSignature)
            {
                pe.Dispose();
                return null;
            }
            var sections = new Dictionary<int, (int Rva, int Size)>();
            for (var i = 0; i < BinaryPrimitives.ReadInt32LittleEndian(data[12..]) && 16 + (i * 12) + 12 <= data.Length; i++)
            {
                var section = data.Slice(16 + (i * 12), 12);
                sections[BinaryPrimitives.ReadInt32LittleEndian(section)] = (BinaryPrimitives.ReadInt32LittleEndian(section[4..]), BinaryPrimitives.ReadInt32LittleEndian(section[8..]));
            }
            if (!sections.TryGetValue(RuntimeFunctionsSection, out var functions))
            {
                pe.Dispose();
                return null;
            }
            var table = Bytes(pe, functions.Rva, functions.Size);
            var count = table.Length / 12;
            var (begins, ends, unwind) = (new uint[count], new uint[count], new uint[count]);
            for (var f = 0; f < count; f++)
            {
                begins[f] = BinaryPrimitives.ReadUInt32LittleEndian(table[(f * 12)..]);
                ends[f] = BinaryPrimitives.ReadUInt32LittleEndian(table[((f * 12) + 4)..]);
                unwind[f] = BinaryPrimitives.ReadUInt32LittleEndian(table[((f * 12) + 8)..]);
            }
            return new ReadyToRunImage(pe, begins, ends, unwind, sections.GetValueOrDefault(MethodDefEntryPointsSection));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            pe?.Dispose();
            return null;
        }
    }

    /// <summary>
    /// The names of its methods' main bodies (<c>Namespace.Type+Nested.Method</c>, as the runtime's rundown names
    /// methods), from the image's own MethodDef entry points and metadata: they name precompiled code the rundown does
    /// not list, such as the marshalling stubs of P/Invoke methods. Funclets and generic instantiations, which only
    /// the rundown names, are not among them. Read once; the result does not hold the file open.
    /// </summary>
    public ReadyToRunMethodNames ReadMethodNames()
    {
        try
        {
            return new ReadyToRunMethodNames(_begins, _ends, ReadMethodNamesByFunction().ToDictionary(n => n.Key, n => n.Value.Name), SizeOfImage);
        }
        catch (Exception e) when (e is BadImageFormatException or ArgumentOutOfRangeException or IndexOutOfRangeException or InvalidOperationException)
        {
            return new ReadyToRunMethodNames(_begins, _ends, [], SizeOfImage);
        }
    }

    /// <summary>
    /// The runtime maps a ReadyToRun assembly as its sections, at their RVAs from an image base: the non-executable
    /// mapping of the file's start just below the code. (A second, flat mapping of the whole file holds its metadata.)
    /// </summary>
    /// <summary>The index of the RUNTIME_FUNCTION that holds an RVA, or null.</summary>
    internal static int? FunctionAt(uint[] begins, uint[] ends, uint rva)
    {
        var i = Array.BinarySearch(begins, rva);
        i = i < 0 ? ~i - 1 : i;
        return i >= 0 && rva < ends[i] ? i : null;
    }

    public static ulong? ImageBase(ProcessMaps maps, Mapping code, uint sizeOfImage) =>
        maps.Mappings
            .Where(m => m.Path == code.Path && m.Offset == 0 && !m.IsExecutable && m.Start <= code.Start && code.End - m.Start <= sizeOfImage)
            .Select(m => (ulong?)m.Start)
            .Max();

    /// <summary>The RVA of a MethodDef's precompiled main body, by its metadata token; null when it has none.</summary>
    internal uint? MethodEntryRva(int methodToken) =>
        ReadMethodNamesByFunction().FirstOrDefault(n => n.Value.Token == methodToken) is { Value.Name: not null } found ? _begins[found.Key] : null;

    /// <summary>Every MethodDef with precompiled code, by the index of its main body in the RUNTIME_FUNCTION table.</summary>
    private Dictionary<int, (string Name, int Token)> ReadMethodNamesByFunction()
    {
        var names = new Dictionary<int, (string, int)>();
        if (_methodEntryPoints.Size == 0 || !_pe.HasMetadata)
        {
            return names;
        }
        var metadata = _pe.GetMetadataReader();
        var entryPoints = Bytes(_pe, _methodEntryPoints.Rva, _methodEntryPoints.Size);
        foreach (var handle in metadata.MethodDefinitions)
        {
            var row = MetadataTokens.GetRowNumber(handle);
            if (NativeFormat.ArrayElement(entryPoints, (uint)(row - 1)) is not { } element)
            {
                continue;
            }
            // The entry: the main body's index in RUNTIME_FUNCTION, shifted left by one; or, when the low bit says fixups
            // follow, by two (the next bit says whether they are shared with another method).
            var entry = NativeFormat.DecodeUnsigned(entryPoints, ref element);
            var functionIndex = (int)((entry & 1) == 0 ? entry >> 1 : entry >> 2);
            var method = metadata.GetMethodDefinition(handle);
            names[functionIndex] = ($"{TypeName(metadata, method.GetDeclaringType())}.{metadata.GetString(method.Name)}", MetadataTokens.GetToken(handle));
        }
        return names;
    }

    private static string TypeName(MetadataReader metadata, TypeDefinitionHandle handle)
    {
        var type = metadata.GetTypeDefinition(handle);
        var name = metadata.GetString(type.Name);
        if (type.GetDeclaringType() is { IsNil: false } outer)
        {
            return $"{TypeName(metadata, outer)}+{name}";
        }
        var space = metadata.GetString(type.Namespace);
        return space.Length == 0 ? name : $"{space}.{name}";
    }

    /// <summary>The rule at an RVA of the image's code; <paramref name="exact"/> when the thread is at that instruction (then it may be in an epilogue).</summary>
    public bool TryFind(uint rva, bool exact, out FrameRule rule)
    {
        rule = default;
        if (FunctionAt(_begins, _ends, rva) is not { } i)
        {
            return false;
        }
        try
        {
            if (exact && Epilogue.TryAnalyze(Bytes(_pe, (int)rva, 32), out rule))
            {
                return true;
            }
            return WindowsUnwindInfo.TryGetRule(Read, _unwindInfos[i], (int)(rva - _begins[i]), out rule);
        }
        catch (Exception e) when (e is BadImageFormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>Up to <paramref name="length"/> bytes of the image at an RVA (fewer at the end of its section).</summary>
    private ReadOnlySpan<byte> Read(uint rva, int length) => Bytes(_pe, (int)rva, length);

    public void Dispose() => _pe.Dispose();

    private static unsafe ReadOnlySpan<byte> Bytes(PEReader pe, int rva, int length)
    {
        var block = pe.GetSectionData(rva);
        return new ReadOnlySpan<byte>(block.Pointer, Math.Min(length, block.Length));
    }
}

/// <summary>The names of a ReadyToRun image's methods by RVA (see <see cref="ReadyToRunImage.ReadMethodNames"/>).</summary>
public sealed class ReadyToRunMethodNames(uint[] begins, uint[] ends, Dictionary<int, string> namesByFunction, uint sizeOfImage)
{
    public uint SizeOfImage { get; } = sizeOfImage;

    public string? NameAt(uint rva) => ReadyToRunImage.FunctionAt(begins, ends, rva) is { } i ? namesByFunction.GetValueOrDefault(i) : null;
}
