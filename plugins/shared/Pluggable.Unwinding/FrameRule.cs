namespace Pluggable.Unwinding;

/// <summary>The register a frame's canonical frame address (CFA) is computed from.</summary>
public enum CfaRegister : byte
{
    StackPointer,
    FramePointer,
}

/// <summary>How a walk goes on past a frame.</summary>
public enum FrameRuleKind : byte
{
    /// <summary>The frame was called: its return address lies just below the CFA.</summary>
    Call,

    /// <summary>The thread's first frame: nothing called it (DWARF says its return address is undefined).</summary>
    Outermost,

    /// <summary>A signal handler's return trampoline: the interrupted thread's registers are in the ucontext at the stack pointer.</summary>
    SignalReturn,

    /// <summary>
    /// Jitted code compiled by on-stack replacement (OSR) for a long loop: it took over its unoptimized version's
    /// frame, pushed a copy of that frame's saved rbp and made rbp its own, and its return address leads back into
    /// the unoptimized code. That frame's rbp is gone, so it is walked from the stack pointer.
    /// </summary>
    OnStackReplacement,
}

/// <summary>
/// Where the caller of the frame at one instruction is: the CFA (the stack pointer's value before the call that
/// made the frame) as a register plus an offset, the return address just below it, and where the frame saved the
/// caller's frame pointer, if it did. It is the common form of DWARF CFI (native code), Windows x64 unwind info
/// (ReadyToRun code) and prologue and epilogue analysis (jitted code).
/// </summary>
/// <param name="Kind">Whether the frame was called, is the thread's first, or is a signal's return.</param>
/// <param name="Register">The CFA is this register's value...</param>
/// <param name="CfaOffset">...plus this.</param>
/// <param name="SavedFramePointerOffset">Where the caller's rbp was saved, from the CFA (always negative); 0 when the frame left rbp alone.</param>
public readonly record struct FrameRule(FrameRuleKind Kind, CfaRegister Register, int CfaOffset, int SavedFramePointerOffset)
{
    /// <summary>The return address is always the word just below the CFA on x86-64.</summary>
    public const int ReturnAddressOffset = -8;

    /// <summary>At a function's first instruction, or in a stub that pushed nothing: the return address is at the stack pointer.</summary>
    public static FrameRule AtEntry { get; } = StackPointerBased(0, 0);

    /// <summary>A function that keeps a frame pointer: rbp points at the caller's saved rbp, the return address above it.</summary>
    public static FrameRule FramePointerChain { get; } = new(FrameRuleKind.Call, CfaRegister.FramePointer, 16, -16);

    public static FrameRule Outermost { get; } = new(FrameRuleKind.Outermost, CfaRegister.StackPointer, 0, 0);

    public static FrameRule SignalReturn { get; } = new(FrameRuleKind.SignalReturn, CfaRegister.StackPointer, 0, 0);

    public static FrameRule OnStackReplacement { get; } = FramePointerChain with { Kind = FrameRuleKind.OnStackReplacement };

    /// <summary>A frame of <paramref name="stackBytes"/> pushed or allocated below its return address, rbp saved <paramref name="savedFramePointerDepth"/> bytes below it (0: not saved).</summary>
    public static FrameRule StackPointerBased(int stackBytes, int savedFramePointerDepth) =>
        new(FrameRuleKind.Call, CfaRegister.StackPointer, stackBytes + 8, savedFramePointerDepth == 0 ? 0 : -8 - savedFramePointerDepth);
}
