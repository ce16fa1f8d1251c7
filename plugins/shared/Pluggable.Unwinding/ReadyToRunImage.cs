using System.Buffers.Binary;
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

    private readonly PEReader _pe;
    private readonly uint[] _begins;
    private readonly uint[] _ends;
    private readonly uint[] _unwindInfos;

    private ReadyToRunImage(PEReader pe, uint[] begins, uint[] ends, uint[] unwindInfos)
    {
        _pe = pe;
        _begins = begins;
        _ends = ends;
        _unwindInfos = unwindInfos;
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
            var sections = BinaryPrimitives.ReadInt32LittleEndian(data[12..]);
            for (var i = 0; i < sections && 16 + (i * 12) + 12 <= data.Length; i++)
            {
                var section = data.Slice(16 + (i * 12), 12);
                if (BinaryPrimitives.ReadInt32LittleEndian(section) == RuntimeFunctionsSection)
                {
                    var table = Bytes(pe, BinaryPrimitives.ReadInt32LittleEndian(section[4..]), BinaryPrimitives.ReadInt32LittleEndian(section[8..]));
                    var count = table.Length / 12;
                    var (begins, ends, unwind) = (new uint[count], new uint[count], new uint[count]);
                    for (var f = 0; f < count; f++)
                    {
                        begins[f] = BinaryPrimitives.ReadUInt32LittleEndian(table[(f * 12)..]);
                        ends[f] = BinaryPrimitives.ReadUInt32LittleEndian(table[((f * 12) + 4)..]);
                        unwind[f] = BinaryPrimitives.ReadUInt32LittleEndian(table[((f * 12) + 8)..]);
                    }
                    return new ReadyToRunImage(pe, begins, ends, unwind);
                }
            }
            pe.Dispose();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            pe?.Dispose();
            return null;
        }
    }

    /// <summary>The rule at an RVA of the image's code; <paramref name="exact"/> when the thread is at that instruction (then it may be in an epilogue).</summary>
    public bool TryFind(uint rva, bool exact, out FrameRule rule)
    {
        rule = default;
        var i = Array.BinarySearch(_begins, rva);
        i = i < 0 ? ~i - 1 : i;
        if (i < 0 || rva >= _ends[i])
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
