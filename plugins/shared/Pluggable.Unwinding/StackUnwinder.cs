namespace Pluggable.Unwinding;

/// <summary>Reads a process's memory: the stack words a walk needs, and the code bytes of its functions' prologues.</summary>
public interface IProcessMemory
{
    /// <summary>Reads eight bytes at an address; false when the address is not readable.</summary>
    bool TryReadWord(ulong address, out ulong value);

    /// <summary>Reads up to <paramref name="buffer"/>'s length of bytes at an address; returns how many were read.</summary>
    int Read(ulong address, Span<byte> buffer);
}

/// <summary>
/// Walks a thread's stack from its registers: through frame pointers where functions keep them, and through jitted
/// methods that keep none by their prologue (see <see cref="Prologue"/>), so that a frameless method neither hides
/// its caller nor is hidden. Code the perf map does not list (native code, ReadyToRun code) is taken to keep a frame
/// pointer, as libcoreclr and the JIT's unoptimized code do.
/// </summary>
public sealed class StackUnwinder(JitCodeMap jitCode, IProcessMemory memory)
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
            if (prologue is { PushesFramePointer: false } frameless)
            {
                var size = (ulong)frameless.StackBytesAt(offset);
                if (!memory.TryReadWord(sp + size, out returnAddress))
                {
                    break;
                }
                sp += size + 8;
            }
            else if (prologue is { } framed && offset <= framed.FramePointerPushEnd)
            {
                // In the prologue, before rbp is pushed (or just after): rbp is still the caller's.
                var pushed = offset == framed.FramePointerPushEnd ? 8UL : 0;
                var before = (ulong)framed.StackBytesAt(offset);
                if (!memory.TryReadWord(sp + before + pushed, out returnAddress))
                {
                    break;
                }
                sp += before + pushed + 8;
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

    /// <summary>The prologue of the jitted function holding <paramref name="pc"/>, and pc's offset in it; null when it is not listed jitted code or its bytes cannot be read.</summary>
    private Prologue? PrologueAt(ulong pc, out int offset)
    {
        offset = 0;
        if (jitCode.StartOf(pc) is not { } start)
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
