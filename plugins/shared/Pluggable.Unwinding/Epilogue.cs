namespace Pluggable.Unwinding;

/// <summary>
/// Recognises an x86-64 epilogue at the sampled instruction and says where the caller is from there: a frame sampled
/// while it tears itself down (<c>add rsp, 0x28; pop rbx; pop rbp; ret</c>) has already undone part of what its
/// prologue or unwind info describe. Only for the instruction a thread is at, never for a return address: the
/// instruction after a call is often an epilogue that has not begun.
/// </summary>
public static class Epilogue
{
    private const int Rbp = 5;

    /// <summary>True when the code from the sampled instruction on is the rest of an epilogue: stack releases, pops, then <c>ret</c> or a tail-call <c>jmp</c>.</summary>
    public static bool TryAnalyze(ReadOnlySpan<byte> code, out FrameRule rule)
    {
        rule = default;
        var register = CfaRegister.StackPointer;
        var offset = 0;
        var savedAt = int.MinValue;
        var steps = 0;
        var i = 0;
        while (i < code.Length)
        {
            var rest = code[i..];
            if (rest[0] is 0xC3 || (rest[0] == 0xC2 && rest.Length >= 3))
            {
                rule = new FrameRule(FrameRuleKind.Call, register, offset + 8, savedAt == int.MinValue ? 0 : savedAt - offset - 8);
                return true;
            }
            if (steps > 0 && IsJump(rest))
            {
                rule = new FrameRule(FrameRuleKind.Call, register, offset + 8, savedAt == int.MinValue ? 0 : savedAt - offset - 8);
                return true;
            }
            if (steps == 0 && rest.Length >= 4 && rest[0] == 0x48 && rest[1] == 0x83 && rest[2] == 0xC4)
            {
                offset += rest[3]; // add rsp, imm8
                i += 4;
            }
            else if (steps == 0 && rest.Length >= 7 && rest[0] == 0x48 && rest[1] == 0x81 && rest[2] == 0xC4)
            {
                offset += BitConverter.ToInt32(rest.Slice(3, 4)); // add rsp, imm32
                i += 7;
            }
            else if (steps == 0 && rest.Length >= 4 && rest[0] == 0x48 && rest[1] == 0x8D && rest[2] == 0x65)
            {
                (register, offset) = (CfaRegister.FramePointer, (sbyte)rest[3]); // lea rsp, [rbp+disp8]
                i += 4;
            }
            else if (steps == 0 && rest.Length >= 7 && rest[0] == 0x48 && rest[1] == 0x8D && rest[2] == 0xA5)
            {
                (register, offset) = (CfaRegister.FramePointer, BitConverter.ToInt32(rest.Slice(3, 4))); // lea rsp, [rbp+disp32]
                i += 7;
            }
            else if (steps == 0 && rest.Length >= 3 && rest[0] == 0x48 && ((rest[1] == 0x89 && rest[2] == 0xEC) || (rest[1] == 0x8B && rest[2] == 0xE5)))
            {
                (register, offset) = (CfaRegister.FramePointer, 0); // mov rsp, rbp
                i += 3;
            }
            else if (steps == 0 && rest[0] == 0xC9)
            {
                (register, offset, savedAt) = (CfaRegister.FramePointer, 8, 0); // leave: mov rsp, rbp; pop rbp
                i += 1;
            }
            else if (rest[0] is >= 0x58 and <= 0x5F)
            {
                if (rest[0] - 0x58 == Rbp)
                {
                    savedAt = offset;
                }
                offset += 8;
                i += 1;
            }
            else if (rest.Length >= 2 && rest[0] == 0x41 && rest[1] is >= 0x58 and <= 0x5F)
            {
                offset += 8;
                i += 2;
            }
            else
            {
                return false;
            }
            steps++;
        }
        return false;
    }

    // jmp rel32, jmp rel8, jmp reg (with or without REX), jmp [rip+disp32]: a tail call that leaves the return address where the epilogue put it.
    private static bool IsJump(ReadOnlySpan<byte> code) =>
        code[0] is 0xE9 or 0xEB
        || (code.Length >= 2 && code[0] == 0xFF && (code[1] is >= 0xE0 and <= 0xE7 || code[1] == 0x25))
        || (code.Length >= 3 && code[0] is 0x41 or 0x48 or 0x49 && code[1] == 0xFF && code[2] is >= 0xE0 and <= 0xE7);
}
