using Pluggable.Unwinding;

namespace Pluggable.Plugins.Tests.Unwinding;

/// <summary>Prologues as the .NET JIT emits them on x64, and where each leaves the caller's frame.</summary>
public class PrologueTests
{
    // push rbp; push rbx; sub rsp, 0x18; lea rbp, [rsp+0x20]; then the body (xor eax, eax).
    private static readonly byte[] Framed = [0x55, 0x53, 0x48, 0x83, 0xEC, 0x18, 0x48, 0x8D, 0x6C, 0x24, 0x20, 0x33, 0xC0];

    // push rbx; sub rsp, 0x20; then the body.
    private static readonly byte[] Frameless = [0x53, 0x48, 0x83, 0xEC, 0x20, 0x33, 0xC0];

    // push rbp; push rbx; sub rsp, 0x28, and no frame pointer: rbp is a general register here.
    private static readonly byte[] RbpAsGeneralRegister = [0x55, 0x53, 0x48, 0x83, 0xEC, 0x28, 0x33, 0xC0];

    [Fact]
    public void A_framed_method_is_found_from_the_stack_pointer_until_rbp_is_set_and_from_rbp_after()
    {
        var prologue = Prologue.Analyze(Framed);

        prologue.SetsFramePointer.Should().BeTrue();
        prologue.RuleAt(0).Should().Be(FrameRule.AtEntry);
        prologue.RuleAt(1).Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.StackPointer, 16, -16), "rbp was just pushed below the return address");
        prologue.RuleAt(6).Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.StackPointer, 8 + 8 + 0x18 + 8, -16));
        // lea rbp, [rsp+0x20] points rbp at its saved value: the CFA is 16 above it.
        prologue.RuleAt(11).Should().Be(FrameRule.FramePointerChain);
        prologue.RuleAt(200).Should().Be(FrameRule.FramePointerChain);
    }

    [Fact]
    public void A_frameless_method_is_found_from_the_stack_pointer_past_what_it_pushed_and_allocated()
    {
        var prologue = Prologue.Analyze(Frameless);

        prologue.SetsFramePointer.Should().BeFalse();
        prologue.RuleAt(1).Should().Be(FrameRule.StackPointerBased(8, 0));
        prologue.RuleAt(50).Should().Be(FrameRule.StackPointerBased(8 + 0x20, 0), "a frameless method leaves the caller's rbp alone");
    }

    [Fact]
    public void A_method_that_uses_rbp_as_a_general_register_gives_back_the_callers_rbp_from_where_it_pushed_it()
    {
        var rule = Prologue.Analyze(RbpAsGeneralRegister).RuleAt(50);

        rule.Register.Should().Be(CfaRegister.StackPointer);
        rule.CfaOffset.Should().Be(8 + 8 + 0x28 + 8);
        rule.SavedFramePointerOffset.Should().Be(-16, "rbp was pushed first, just below the return address");
    }

    [Fact]
    public void Endbr64_vzeroupper_and_a_large_allocation_are_read_through()
    {
        // endbr64; push rbp; vzeroupper; sub rsp, 0x100; mov rbp, rsp
        var prologue = Prologue.Analyze([0xF3, 0x0F, 0x1E, 0xFA, 0x55, 0xC5, 0xF8, 0x77, 0x48, 0x81, 0xEC, 0x00, 0x01, 0x00, 0x00, 0x48, 0x89, 0xE5, 0x33, 0xC0]);

        prologue.StackBytesAt(15).Should().Be(8 + 0x100);
        prologue.RuleAt(18).Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.FramePointer, 8 + 8 + 0x100, -16), "mov rbp, rsp leaves rbp 0x100 below the saved rbp");
    }
}

/// <summary>Epilogues, where a frame has undone part of its prologue when it is sampled.</summary>
public class EpilogueTests
{
    [Fact]
    public void At_the_start_of_an_epilogue_the_caller_lies_past_what_it_is_about_to_release()
    {
        // add rsp, 0x28; pop rbx; pop rbp; ret
        Epilogue.TryAnalyze([0x48, 0x83, 0xC4, 0x28, 0x5B, 0x5D, 0xC3], out var rule).Should().BeTrue();

        rule.Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.StackPointer, 0x28 + 16 + 8, -16));
    }

    [Fact]
    public void After_rbp_was_popped_it_is_the_callers_again()
    {
        Epilogue.TryAnalyze([0xC3], out var atReturn).Should().BeTrue();
        atReturn.Should().Be(FrameRule.AtEntry);
        Epilogue.TryAnalyze([0x5D, 0xC3], out var atPop).Should().BeTrue();
        atPop.Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.StackPointer, 16, -16));
    }

    [Fact]
    public void An_epilogue_that_restores_the_stack_from_rbp_is_found_from_rbp()
    {
        // lea rsp, [rbp-0x10]; pop rbx; pop r12; pop rbp; ret
        Epilogue.TryAnalyze([0x48, 0x8D, 0x65, 0xF0, 0x5B, 0x41, 0x5C, 0x5D, 0xC3], out var rule).Should().BeTrue();

        rule.Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.FramePointer, -0x10 + 24 + 8, -16));
    }

    [Fact]
    public void A_tail_call_ends_an_epilogue_but_a_jump_alone_is_no_epilogue()
    {
        Epilogue.TryAnalyze([0x5B, 0x48, 0xFF, 0xE0], out var tailCall).Should().BeTrue("pop rbx; jmp rax");
        tailCall.CfaOffset.Should().Be(16);

        Epilogue.TryAnalyze([0xEB, 0x10], out _).Should().BeFalse("a jump inside a body");
        Epilogue.TryAnalyze([0x8B, 0x03, 0x5B, 0xC3], out _).Should().BeFalse("mov eax, [rbx] is the body");
    }
}
