namespace Pluggable.Unwinding;

/// <summary>
/// What an x86-64 function's prologue does to the stack, decoded from its first bytes: the pushes and stack
/// allocation before its body, whether and where it pushes the caller's rbp, and whether it then makes rbp its frame
/// pointer. Jitted code has no unwind info a profiler can reach, and the .NET JIT's prologues are regular:
/// <c>push rbp; push rbx; sub rsp, 0x18; lea rbp, [rsp+0x20]</c> with a frame pointer, <c>push rbx; sub rsp, 0x20</c>
/// without one, and <c>push rbp; push rbx; sub rsp, 0x28</c> where rbp is a general register.
/// </summary>
public sealed class Prologue
{
    private const byte PushRbp = 0x55;

    private readonly List<(int End, int StackBytes)> _steps;
    private readonly int _savedFramePointerEnd;
    private readonly int _savedFramePointerDepth;
    private readonly int _framePointerSetEnd;
    private readonly int _framePointerCfaOffset;

    private Prologue(List<(int, int)> steps, int savedFramePointerEnd, int savedFramePointerDepth, int framePointerSetEnd, int framePointerCfaOffset)
    {
        _steps = steps;
        _savedFramePointerEnd = savedFramePointerEnd;
        _savedFramePointerDepth = savedFramePointerDepth;
        _framePointerSetEnd = framePointerSetEnd;
        _framePointerCfaOffset = framePointerCfaOffset;
    }

    /// <summary>True when the function makes rbp its frame pointer.</summary>
    public bool SetsFramePointer => _framePointerSetEnd >= 0;

    /// <summary>Bytes the function has pushed or allocated below its return address when executing at <paramref name="offset"/>.</summary>
    public int StackBytesAt(int offset)
    {
        var bytes = 0;
        foreach (var (end, stackBytes) in _steps)
        {
            if (offset >= end)
            {
                bytes = stackBytes;
            }
        }
        return bytes;
    }

    /// <summary>How to find the caller from <paramref name="offset"/> bytes into the function, outside its epilogue.</summary>
    public FrameRule RuleAt(int offset)
    {
        if (SetsFramePointer && offset >= _framePointerSetEnd)
        {
            return new FrameRule(FrameRuleKind.Call, CfaRegister.FramePointer, _framePointerCfaOffset, -8 - _savedFramePointerDepth);
        }
        return StackPointerRuleAt(offset);
    }

    /// <summary>The same frame found from the stack pointer, whether or not rbp is set: for a frame whose rbp was taken over (see <see cref="FrameRuleKind.OnStackReplacement"/>).</summary>
    public FrameRule StackPointerRuleAt(int offset) =>
        FrameRule.StackPointerBased(StackBytesAt(offset), offset >= _savedFramePointerEnd ? _savedFramePointerDepth : 0);

    /// <summary>
    /// Decodes pushes, stack allocations (<c>sub rsp</c>), <c>vzeroupper</c>, an <c>endbr64</c> first, and the instruction
    /// that makes rbp the frame pointer (<c>mov rbp, rsp</c> or <c>lea rbp, [rsp+n]</c>, after which the prologue's
    /// frame is set); stops at the first other instruction, the body.
    /// </summary>
    public static Prologue Analyze(ReadOnlySpan<byte> code)
    {
        var steps = new List<(int, int)>();
        var stack = 0;
        int savedEnd = int.MaxValue, savedDepth = 0;
        var i = code.Length >= 4 && code[0] == 0xF3 && code[1] == 0x0F && code[2] == 0x1E && code[3] == 0xFA ? 4 : 0;
        while (i < code.Length)
        {
            var b = code[i];
            if (savedDepth != 0 && FramePointerSet(code[i..]) is { Length: > 0 } set)
            {
                // rbp = rsp + n, and rsp = CFA - 8 - stack: so CFA = rbp + 8 + stack - n.
                var end = i + set.Length;
                return new Prologue(steps, savedEnd, savedDepth, end, 8 + stack - set.Displacement);
            }
            if (b is >= 0x50 and <= 0x57)
            {
                i += 1;
                stack += 8;
                if (b == PushRbp)
                {
                    savedEnd = i;
                    savedDepth = stack;
                }
            }
            else if (b == 0x41 && i + 1 < code.Length && code[i + 1] is >= 0x50 and <= 0x57)
            {
                i += 2;
                stack += 8;
            }
            else if (b == 0x48 && i + 3 < code.Length && code[i + 1] == 0x83 && code[i + 2] == 0xEC)
            {
                stack += code[i + 3];
                i += 4;
            }
            else if (b == 0x48 && i + 6 < code.Length && code[i + 1] == 0x81 && code[i + 2] == 0xEC)
            {
                stack += BitConverter.ToInt32(code.Slice(i + 3, 4));
                i += 7;
            }
            else if (b == 0xC5 && i + 2 < code.Length && code[i + 1] == 0xF8 && code[i + 2] == 0x77)
            {
                i += 3; // vzeroupper
                continue;
            }
            else
            {
                break;
            }
            steps.Add((i, stack));
        }
        return new Prologue(steps, savedEnd, savedDepth, -1, 0);
    }

    /// <summary>The length of <c>mov rbp, rsp</c> or <c>lea rbp, [rsp+n]</c> at the start of the code, and its n; length 0 when it is neither.</summary>
    private static (int Length, int Displacement) FramePointerSet(ReadOnlySpan<byte> code)
    {
        if (code.Length >= 3 && code[0] == 0x48 && ((code[1] == 0x89 && code[2] == 0xE5) || (code[1] == 0x8B && code[2] == 0xEC)))
        {
            return (3, 0);
        }
        if (code.Length >= 5 && code[0] == 0x48 && code[1] == 0x8D && code[2] == 0x6C && code[3] == 0x24)
        {
            return (5, (sbyte)code[4]);
        }
        if (code.Length >= 8 && code[0] == 0x48 && code[1] == 0x8D && code[2] == 0xAC && code[3] == 0x24)
        {
            return (8, BitConverter.ToInt32(code.Slice(4, 4)));
        }
        return (0, 0);
    }
}
