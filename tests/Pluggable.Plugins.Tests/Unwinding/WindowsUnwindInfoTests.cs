using System.Buffers.Binary;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Tests.Unwinding;

/// <summary>Windows x64 unwind info as crossgen writes it for ReadyToRun code.</summary>
public class WindowsUnwindInfoTests
{
    private const byte Rbx = 3;
    private const byte Rbp = 5;

    // push rbp (ends at 1); push rbx (2); sub rsp, 0x20 (6); lea rbp, [rsp+0x20] (11): the codes last operation first.
    private static readonly byte[] FramedPrologue = UnwindInfo(prologueSize: 11, frame: (Rbp, 2), codes:
    [
        (11, 3, 0),       // UWOP_SET_FPREG
        (6, 2, 3),        // UWOP_ALLOC_SMALL: 3 * 8 + 8 = 0x20
        (2, 0, Rbx),      // UWOP_PUSH_NONVOL rbx
        (1, 0, Rbp),      // UWOP_PUSH_NONVOL rbp
    ]);

    [Fact]
    public void In_the_prologue_only_the_operations_already_done_count()
    {
        RuleAt(FramedPrologue, 0).Should().Be(FrameRule.AtEntry);
        RuleAt(FramedPrologue, 1).Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.StackPointer, 16, -16));
        RuleAt(FramedPrologue, 6).Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.StackPointer, 8 + 8 + 0x20 + 8, -16));
    }

    [Fact]
    public void In_the_body_the_caller_is_found_from_the_frame_register()
    {
        // rbp = rsp + 0x20 after 0x30 bytes below the return address: the CFA is rbp + 0x18.
        RuleAt(FramedPrologue, 40).Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.FramePointer, 0x30 + 8 - 0x20, -16));
    }

    [Fact]
    public void A_large_frame_offset_comes_from_the_two_slots_after_the_code()
    {
        // push rbp; sub rsp, 0x400 (UWOP_ALLOC_LARGE, size / 8 in the next slot); lea rbp, [rsp+0x400]: UWOP_SET_FPREG_LARGE, 0x40 * 16.
        var info = UnwindInfo(prologueSize: 16, frame: (Rbp, 15), codes: [(16, 11, 0), (0x40, 0, 0), (0, 0, 0), (8, 1, 0), (0x80, 0, 0), (1, 0, Rbp)]);

        RuleAt(info, 30).Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.FramePointer, 8 + 0x400 + 8 - 0x400, -16));
    }

    [Fact]
    public void A_chained_entry_runs_after_its_parents_whole_prologue()
    {
        // The parent: push rbx; sub rsp, 0x28. The chained part (a later piece of the function) adds nothing of its own.
        var parent = UnwindInfo(prologueSize: 5, frame: (0, 0), codes: [(5, 2, 4), (1, 0, Rbx)]);
        var image = new byte[0x200];
        parent.CopyTo(image, 0x100);
        var chained = UnwindInfo(prologueSize: 0, frame: (0, 0), codes: [], flags: 0x4);
        chained.CopyTo(image, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(4 + 8), 0x100); // the parent's RUNTIME_FUNCTION: begin, end, unwind info

        WindowsUnwindInfo.TryGetRule((rva, length) => image.AsSpan((int)rva, Math.Min(length, image.Length - (int)rva)), 0, 0, out var rule).Should().BeTrue();

        rule.Should().Be(FrameRule.StackPointerBased(8 + 0x28, 0));
    }

    [Fact]
    public void A_register_saved_with_a_move_is_found_at_its_offset_from_the_frame_base()
    {
        // sub rsp, 0x38; mov [rsp+0x30], rbp: UWOP_SAVE_NONVOL rbp with offset 0x30 / 8.
        var info = UnwindInfo(prologueSize: 9, frame: (0, 0), codes: [(9, 4, Rbp), (6, 0, 0), (4, 2, 6)]);

        RuleAt(info, 20).Should().Be(new FrameRule(FrameRuleKind.Call, CfaRegister.StackPointer, 0x38 + 8, -0x38 - 8 + 0x30));
    }

    private static FrameRule RuleAt(byte[] info, int offset)
    {
        WindowsUnwindInfo.TryGetRule((rva, length) => info.AsSpan((int)rva, Math.Min(length, info.Length - (int)rva)), 0, offset, out var rule).Should().BeTrue();
        return rule;
    }

    /// <summary>UNWIND_INFO: version 1, flags, the prologue's size, the code count, frame register and scaled offset, then the codes (a slot of a large operand is (low, high, 0)).</summary>
    private static byte[] UnwindInfo(byte prologueSize, (byte Register, byte Offset) frame, (byte Offset, byte Op, byte Info)[] codes, byte flags = 0)
    {
        var bytes = new List<byte> { (byte)(1 | (flags << 3)), prologueSize, (byte)codes.Length, (byte)(frame.Register | (frame.Offset << 4)) };
        foreach (var (offset, op, info) in codes)
        {
            bytes.Add(offset);
            bytes.Add((byte)(op | (info << 4)));
        }
        if (codes.Length % 2 == 1)
        {
            bytes.AddRange([0, 0]);
        }
        bytes.AddRange(new byte[12]);
        return [.. bytes];
    }
}
