namespace Pluggable.Unwinding;

/// <summary>
/// What an x86-64 function's prologue does to the stack, read from its first bytes: whether it pushes rbp (then it
/// keeps a frame pointer, and the rbp chain is walkable through it), and otherwise how many bytes it pushes and
/// allocates before its body, so that its return address can be found from the stack pointer. The .NET JIT's
/// optimized code often keeps no frame pointer: <c>push rsi; push rbx; sub rsp, 0x28</c>.
/// </summary>
public readonly record struct Prologue(bool PushesFramePointer, IReadOnlyList<(int End, int StackBytes)> Steps)
{
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

    /// <summary>Offset just past <c>push rbp</c>, or -1 when the function does not push it.</summary>
    public int FramePointerPushEnd { get; init; } = -1;

    /// <summary>Decodes the prologue instructions the JIT emits; stops at the first other instruction (the body).</summary>
    public static Prologue Analyze(ReadOnlySpan<byte> code)
    {
        var steps = new List<(int, int)>();
        var stack = 0;
        var i = 0;
        while (i < code.Length)
        {
            var b = code[i];
            if (b == 0x55)
            {
                return new Prologue(true, steps) { FramePointerPushEnd = i + 1 };
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
