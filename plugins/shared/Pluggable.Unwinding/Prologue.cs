namespace Pluggable.Unwinding;

/// <summary>
/// What an x86-64 function's prologue does to the stack, read from its first bytes: whether it pushes rbp (then it
/// keeps a frame pointer, and the rbp chain is walkable through it), and otherwise how many bytes it pushes and
/// allocates before its body, so that its return address can be found from the stack pointer. The .NET JIT's
/// optimized code often keeps no frame pointer: <c>push rsi; push rbx; sub rsp, 0x28</c>.
/// </summary>
public readonly record struct Prologue(bool PushesFramePointer, IReadOnlyList<(int End, int StackBytes)> Steps)
{
    /// <summary>Offset just past the instruction that makes rbp the frame pointer (<c>mov rbp, rsp</c> or <c>lea rbp, [rsp+n]</c>); before it, the frame is found from the stack pointer.</summary>
    public int FramePointerSetEnd { get; init; } = -1;

    /// <summary>Bytes the function has pushed or allocated when executing at <paramref name="offset"/> from its start.</summary>
    public int StackBytesAt(int offset)
    {
        var bytes = 0;
        foreach (var (end, stackBytes) in Steps)
        {
            if (offset >= end)
            {
                bytes = stackBytes;
            }
        }
        return bytes;
    }

    /// <summary>
    /// Decodes the prologue instructions compilers emit (the JIT's, and gcc's for native code: an <c>endbr64</c> first,
    /// pushes, a stack allocation, and for a frame pointer <c>push rbp</c> then <c>mov rbp, rsp</c> or <c>lea rbp, [rsp+n]</c>);
    /// stops at the first other instruction (the body). A <c>push rbp</c> never followed by setting rbp is an ordinary
    /// push: optimized native code uses rbp as a general register.
    /// </summary>
    public static Prologue Analyze(ReadOnlySpan<byte> code)
    {
        var steps = new List<(int, int)>();
        var stack = 0;
        var i = code.Length >= 4 && code[0] == 0xF3 && code[1] == 0x0F && code[2] == 0x1E && code[3] == 0xFA ? 4 : 0;
        while (i < code.Length)
        {
            var b = code[i];
            if (b == 0x48 && i + 2 < code.Length && ((code[i + 1] == 0x89 && code[i + 2] == 0xE5) || (code[i + 1] == 0x8B && code[i + 2] == 0xEC)))
            {
                return new Prologue(true, steps) { FramePointerSetEnd = i + 3 };
            }
            if (b == 0x48 && i + 4 < code.Length && code[i + 1] == 0x8D && code[i + 2] == 0x6C && code[i + 3] == 0x24)
            {
                return new Prologue(true, steps) { FramePointerSetEnd = i + 5 };
            }
            if (b == 0x48 && i + 7 < code.Length && code[i + 1] == 0x8D && code[i + 2] == 0xAC && code[i + 3] == 0x24)
            {
                return new Prologue(true, steps) { FramePointerSetEnd = i + 8 };
            }
            if (b is >= 0x50 and <= 0x57)
            {
                i += 1;
                stack += 8;
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
            else
            {
                break;
            }
            steps.Add((i, stack));
        }
        return new Prologue(false, steps);
    }
}
