using System.Buffers.Binary;

namespace Pluggable.Unwinding;

/// <summary>Up to <paramref name="length"/> bytes of an image at an RVA.</summary>
internal delegate ReadOnlySpan<byte> ImageReader(uint rva, int length);

/// <summary>
/// Windows x64 <c>UNWIND_INFO</c>: a prologue's operations (pushes, allocations, setting a frame register, saves)
/// as unwind codes, the last operation first, each with the offset just past its instruction. CoreCLR adds
/// <c>UWOP_SET_FPREG_LARGE</c> for Unix, where the frame pointer may sit further than 240 bytes from the stack pointer.
/// </summary>
internal static class WindowsUnwindInfo
{
    private const int Rbp = 5;
    private const int ChainInfoFlag = 0x4;

    public static bool TryGetRule(ImageReader image, uint unwindInfoRva, int offset, out FrameRule rule)
    {
        rule = default;
        var executed = new List<(int Op, int Register, int Bytes, int SaveOffset)>();
        var framePointerOffset = -1;
        var setFramePointerIndex = -1;
        var inBody = false;
        for (var depth = 0; depth < 8; depth++)
        {
            var header = image(unwindInfoRva, 4);
            if (header.Length < 4)
            {
                return false;
            }
            var flags = header[0] >> 3;
            var prologueSize = header[1];
            var count = header[2];
            var frameRegister = header[3] & 0x0F;
            var codes = image(unwindInfoRva + 4, (count * 2) + 12);
            if (codes.Length < count * 2)
            {
                return false;
            }
            // A chained entry (a function's later part) runs after its parent's whole prologue.
            inBody |= offset >= prologueSize;
            for (var i = 0; i < count;)
            {
                var codeOffset = codes[i * 2];
                var op = codes[(i * 2) + 1] & 0x0F;
                var info = codes[(i * 2) + 1] >> 4;
                var slots = op switch
                {
                    1 => info == 0 ? 2 : 3,
                    4 or 6 or 8 => 2,
                    5 or 7 or 9 or 11 => 3,
                    _ => 1,
                };
                if (i + slots > count)
                {
                    return false;
                }
                var done = inBody || codeOffset <= offset;
                if (done)
                {
                    var slot1 = slots > 1 ? BinaryPrimitives.ReadUInt16LittleEndian(codes[((i + 1) * 2)..]) : 0;
                    var slot2 = slots > 2 ? BinaryPrimitives.ReadUInt16LittleEndian(codes[((i + 2) * 2)..]) : 0;
                    switch (op)
                    {
                        case 0: // UWOP_PUSH_NONVOL
                            executed.Add((op, info, 8, 0));
                            break;
                        case 1: // UWOP_ALLOC_LARGE
                            executed.Add((op, 0, info == 0 ? slot1 * 8 : slot1 | (slot2 << 16), 0));
                            break;
                        case 2: // UWOP_ALLOC_SMALL
                            executed.Add((op, 0, (info * 8) + 8, 0));
                            break;
                        case 3: // UWOP_SET_FPREG
                            if (frameRegister != Rbp)
                            {
                                return false;
                            }
                            framePointerOffset = (header[3] >> 4) * 16;
                            setFramePointerIndex = executed.Count;
                            break;
                        case 11: // UWOP_SET_FPREG_LARGE
                            if (frameRegister != Rbp)
                            {
                                return false;
                            }
                            framePointerOffset = (slot1 | (slot2 << 16)) * 16;
                            setFramePointerIndex = executed.Count;
                            break;
                        case 4: // UWOP_SAVE_NONVOL
                            executed.Add((op, info, 0, slot1 * 8));
                            break;
                        case 5: // UWOP_SAVE_NONVOL_FAR
                            executed.Add((op, info, 0, slot1 | (slot2 << 16)));
                            break;
                        case 10: // UWOP_PUSH_MACHFRAME: an interrupt frame, not a call
                            return false;
                    }
                }
                i += slots;
            }
            if ((flags & ChainInfoFlag) == 0)
            {
                break;
            }
            var parent = image(unwindInfoRva + 4 + (uint)(((count + 1) & ~1) * 2), 12);
            if (parent.Length < 12)
            {
                return false;
            }
            unwindInfoRva = BinaryPrimitives.ReadUInt32LittleEndian(parent[8..]);
            inBody = true;
        }
        rule = Rule(executed, setFramePointerIndex, framePointerOffset);
        return true;
    }

    /// <summary>
    /// The codes are listed last operation first: those before the frame register was set were executed after it.
    /// From rbp, the CFA lies past what was pushed and allocated before rbp was set; from rsp, past everything.
    /// </summary>
    private static FrameRule Rule(List<(int Op, int Register, int Bytes, int SaveOffset)> executed, int setFramePointerIndex, int framePointerOffset)
    {
        var total = executed.Sum(e => e.Bytes);
        var beforeFramePointer = setFramePointerIndex < 0 ? total : executed.Skip(setFramePointerIndex).Sum(e => e.Bytes);
        var below = 0; // bytes of the operations listed before this one: executed after it
        var savedFramePointer = 0;
        var frameBaseDepth = setFramePointerIndex < 0 ? total : beforeFramePointer;
        foreach (var (op, register, bytes, saveOffset) in executed)
        {
            if (register == Rbp && op == 0)
            {
                // The pushed slot lies above everything executed after the push.
                savedFramePointer = -8 - (total - below);
            }
            else if (register == Rbp && op is 4 or 5)
            {
                savedFramePointer = -8 - frameBaseDepth + saveOffset;
            }
            below += bytes;
        }
        return setFramePointerIndex < 0
            ? new FrameRule(FrameRuleKind.Call, CfaRegister.StackPointer, total + 8, savedFramePointer)
            : new FrameRule(FrameRuleKind.Call, CfaRegister.FramePointer, beforeFramePointer + 8 - framePointerOffset, savedFramePointer);
    }
}
