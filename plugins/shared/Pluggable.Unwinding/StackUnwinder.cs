namespace Pluggable.Unwinding;

/// <summary>Why a stack walk ended.</summary>
public enum WalkEnd : byte
{
    /// <summary>At the thread's first frame (<c>clone3</c>, <c>_start</c>): the stack is whole.</summary>
    ThreadEntry,

    /// <summary>At the most frames a walk keeps.</summary>
    TooDeep,

    /// <summary>In code without unwind info, where the frame pointer led nowhere either.</summary>
    NoUnwindInfo,

    /// <summary>The stack past this frame was not readable (not in a perf sample's copy of the stack, or unmapped).</summary>
    StackNotReadable,

    /// <summary>What should be the return address points at no code.</summary>
    ReturnAddressNotCode,

    /// <summary>The caller's frame would not lie above this one: the rule or a register was wrong.</summary>
    StackNotGrowing,
}

/// <summary>A walk's frames count, and where and why it ended.</summary>
public readonly record struct WalkResult(int Count, WalkEnd End, CodeKind EndedIn)
{
    /// <summary>True when the frames past the stack the walk could read came from the kernel's frame-pointer callchain.</summary>
    public bool ContinuedFromCallchain { get; init; }
}

/// <summary>What a walk asks of a process's code.</summary>
public interface IFrameRules
{
    /// <summary>True when the address lies in executable memory: the only place a return address can point.</summary>
    bool IsCode(ulong address);

    /// <summary>
    /// How to find the caller of the frame at <paramref name="address"/>: the instruction a thread is at when
    /// <paramref name="exact"/>, else one inside a call instruction (a return address moved back by one).
    /// False when the code has no rule; <paramref name="kind"/> says what code it is either way.
    /// </summary>
    bool TryGetRule(ulong address, bool exact, out FrameRule rule, out CodeKind kind);

    /// <summary>The rule of jitted code found from the stack pointer alone, for a frame whose rbp another took over; false for other code.</summary>
    bool TryGetStackPointerRule(ulong address, out FrameRule rule);
}

/// <summary>
/// Walks a thread's stack from its registers, frame by frame, with the rule <see cref="IFrameRules"/> gives for each
/// frame's code (DWARF CFI, ReadyToRun unwind info, jitted prologues and epilogues), so frames that keep no frame
/// pointer, or use rbp for something else, neither hide their callers nor are hidden. Where code has no rule, it
/// tries the frame pointer chain. Every return address must point at code and every caller's frame lie above its
/// callee's, so a wrong step ends the walk instead of adding made-up frames.
/// </summary>
public sealed class StackUnwinder(IFrameRules code, IProcessMemory stack)
{
    // struct ucontext_t on x86-64 Linux: flags, link and stack_t (24 bytes) before mcontext's gregs, in which rbp,
    // rsp and rip are registers 10, 15 and 16.
    private const int SignalFramePointer = 40 + (10 * 8);
    private const int SignalStackPointer = 40 + (15 * 8);
    private const int SignalInstructionPointer = 40 + (16 * 8);

    /// <summary>Walks from (ip, sp, bp); writes code addresses leaf first (callers moved back into their call instruction).</summary>
    public WalkResult Unwind(ulong ip, ulong sp, ulong bp, Span<ulong> output)
    {
        var count = 0;
        var pc = ip;
        var exact = true;
        var framePointerTakenOver = false;
        while (true)
        {
            if (count == output.Length)
            {
                return new WalkResult(count, WalkEnd.TooDeep, CodeKind.None);
            }
            var address = exact ? pc : pc - 1;
            output[count++] = address;
            if (!code.TryGetRule(address, exact, out var rule, out var kind))
            {
                if (kind == CodeKind.None)
                {
                    return new WalkResult(count, WalkEnd.ReturnAddressNotCode, kind);
                }
                rule = FrameRule.FramePointerChain;
                if (bp < sp || (bp & 7) != 0)
                {
                    return new WalkResult(count, WalkEnd.NoUnwindInfo, kind);
                }
            }
            if (framePointerTakenOver && rule.Register == CfaRegister.FramePointer && !code.TryGetStackPointerRule(address, out rule))
            {
                return new WalkResult(count, WalkEnd.NoUnwindInfo, kind);
            }
            framePointerTakenOver = rule.Kind == FrameRuleKind.OnStackReplacement;
            switch (rule.Kind)
            {
                case FrameRuleKind.Outermost:
                    return new WalkResult(count, WalkEnd.ThreadEntry, kind);
                case FrameRuleKind.SignalReturn:
                    if (!stack.TryReadWord(sp + SignalInstructionPointer, out var interruptedIp)
                        || !stack.TryReadWord(sp + SignalStackPointer, out var interruptedSp)
                        || !stack.TryReadWord(sp + SignalFramePointer, out var interruptedBp))
                    {
                        return new WalkResult(count, WalkEnd.StackNotReadable, kind);
                    }
                    if (!code.IsCode(interruptedIp))
                    {
                        return new WalkResult(count, WalkEnd.ReturnAddressNotCode, kind);
                    }
                    // The handler interrupted this instruction: it is exact, not a return address.
                    (pc, sp, bp, exact) = (interruptedIp, interruptedSp, interruptedBp, true);
                    continue;
            }
            var cfaBase = rule.Register == CfaRegister.StackPointer ? sp : bp;
            if (rule.Register == CfaRegister.FramePointer && (bp < sp || (bp & 7) != 0))
            {
                return new WalkResult(count, WalkEnd.StackNotGrowing, kind);
            }
            var cfa = cfaBase + (ulong)(long)rule.CfaOffset;
            if (cfa <= sp)
            {
                return new WalkResult(count, WalkEnd.StackNotGrowing, kind);
            }
            if (!stack.TryReadWord(cfa + unchecked((ulong)FrameRule.ReturnAddressOffset), out var returnAddress))
            {
                return new WalkResult(count, WalkEnd.StackNotReadable, kind);
            }
            if (rule.SavedFramePointerOffset != 0 && !stack.TryReadWord(cfa + (ulong)(long)rule.SavedFramePointerOffset, out bp))
            {
                return new WalkResult(count, WalkEnd.StackNotReadable, kind);
            }
            if (!code.IsCode(returnAddress))
            {
                return new WalkResult(count, WalkEnd.ReturnAddressNotCode, kind);
            }
            (pc, sp, exact) = (returnAddress, cfa, false);
        }
    }
}
