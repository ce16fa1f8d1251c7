namespace Pluggable.Unwinding;

/// <summary>Finds where the function holding an address starts.</summary>
public interface ICodeLocator
{
    /// <summary>The start of the function that holds the address, or null when this locator does not know it.</summary>
    ulong? StartOf(ulong address);
}

/// <summary>Asks several locators in turn (jitted code, then native code).</summary>
public sealed class CodeLocators(params IReadOnlyList<ICodeLocator> locators) : ICodeLocator
{
    public ulong? StartOf(ulong address)
    {
        foreach (var locator in locators)
        {
            if (locator.StartOf(address) is { } start)
            {
                return start;
            }
        }
        return null;
    }
}

/// <summary>Reads a process's memory: the stack words a walk needs, and the code bytes of its functions' prologues.</summary>
public interface IProcessMemory
{
    /// <summary>Reads eight bytes at an address; false when the address is not readable.</summary>
    bool TryReadWord(ulong address, out ulong value);

    /// <summary>Reads up to <paramref name="buffer"/>'s length of bytes at an address; returns how many were read.</summary>
    int Read(ulong address, Span<byte> buffer);
}

/// <summary>
/// Walks a thread's stack from its registers: through frame pointers where functions keep them, and through functions
/// that keep none by their prologue (see <see cref="Prologue"/>), so that a frameless function neither hides its
/// caller nor is hidden. Functions are found by <see cref="ICodeLocator"/>: jitted code in the perf map, native code by
/// its ELF symbols. Code neither knows (ReadyToRun code, stripped libraries such as libcoreclr) is taken to keep a
/// frame pointer, as libcoreclr and the JIT's unoptimized code do.
/// </summary>
public sealed class StackUnwinder(ICodeLocator code, IProcessMemory memory)
{
    private const int PrologueBytes = 48;
    private readonly Dictionary<ulong, Prologue?> _prologues = [];

    /// <summary>Walks from (ip, sp, bp); writes code addresses leaf first (callers moved back into their call) and returns how many.</summary>
    public int Unwind(ulong ip, ulong sp, ulong bp, Span<ulong> output)
    {
        var count = 0;
        var pc = ip;
        output[count++] = pc;
        while (count < output.Length)
        {
            ulong returnAddress;
            var prologue = PrologueAt(pc, out var offset);
            if (prologue is { } known && (!known.PushesFramePointer || offset < known.FramePointerSetEnd))
            {
                // No frame pointer (or not set yet, in the prologue): the return address lies above what the function pushed.
                var size = (ulong)known.StackBytesAt(offset);
                if (!memory.TryReadWord(sp + size, out returnAddress))
                {
                    break;
                }
                sp += size + 8;
            }
            else
            {
                if (bp < sp || (bp & 7) != 0 || !memory.TryReadWord(bp + 8, out returnAddress) || !memory.TryReadWord(bp, out var savedBp))
                {
                    break;
                }
                sp = bp + 16;
                bp = savedBp;
            }
            if (returnAddress < 0x1000)
            {
                break;
            }
            pc = returnAddress;
            output[count++] = returnAddress - 1;
        }
        return count;
    }

    /// <summary>The prologue of the function holding <paramref name="pc"/>, and pc's offset in it; null when no locator knows the function or its bytes cannot be read.</summary>
    private Prologue? PrologueAt(ulong pc, out int offset)
    {
        offset = 0;
        if (code.StartOf(pc) is not { } start)
        {
            return null;
        }
        offset = (int)Math.Min(pc - start, int.MaxValue);
        if (!_prologues.TryGetValue(start, out var prologue))
        {
            Span<byte> code = stackalloc byte[PrologueBytes];
            var read = memory.Read(start, code);
            prologue = read > 0 ? Prologue.Analyze(code[..read]) : null;
            _prologues[start] = prologue;
        }
        return prologue;
    }
}
