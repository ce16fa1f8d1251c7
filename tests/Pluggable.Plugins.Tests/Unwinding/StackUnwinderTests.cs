using Pluggable.Testing;
using Pluggable.Unwinding;

namespace Pluggable.Plugins.Tests.Unwinding;

/// <summary>The hybrid unwinder on a made-up process: a stack in memory, jitted methods with and without frame pointers.</summary>
public class StackUnwinderTests : IDisposable
{
    // Prologues as the .NET JIT emits them on x64.
    private static readonly byte[] Framed = [0x55, 0x48, 0x8B, 0xEC, 0x48, 0x83, 0xEC, 0x20];             // push rbp; mov rbp, rsp; sub rsp, 0x20
    private static readonly byte[] FramelessLeaf = [0x48, 0x83, 0xEC, 0x18, 0xC5, 0xF8, 0x77];              // sub rsp, 0x18; vzeroupper
    private static readonly byte[] FramelessWithPushes = [0x56, 0x53, 0x48, 0x83, 0xEC, 0x28, 0x33, 0xC0]; // push rsi; push rbx; sub rsp, 0x28; xor eax, eax

    private const ulong Main = 0x7000_1000, Middle = 0x7000_2000, Leaf = 0x7000_3000;
    private readonly TempFolder _folder = new("pluggable-unwind");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Prologue_reads_pushes_and_stack_allocation_and_spots_a_frame_pointer()
    {
        Prologue.Analyze(Framed).PushesFramePointer.Should().BeTrue();
        var frameless = Prologue.Analyze(FramelessWithPushes);
        frameless.PushesFramePointer.Should().BeFalse();
        frameless.StackBytesAt(0).Should().Be(0);
        frameless.StackBytesAt(1).Should().Be(8, "after push rsi");
        frameless.StackBytesAt(2).Should().Be(16, "after push rbx");
        frameless.StackBytesAt(100).Should().Be(16 + 0x28, "in the body");
        Prologue.Analyze([0x48, 0x81, 0xEC, 0x00, 0x01, 0x00, 0x00]).StackBytesAt(7).Should().Be(0x100);
    }

    [Fact]
    public void Prologue_of_native_code_skips_endbr64_and_counts_a_push_of_rbp_without_a_frame_as_a_push()
    {
        // gcc -O2 with CET: endbr64; push rbp; push rbx; sub rsp, 0x10 (rbp used as a general register)
        var native = Prologue.Analyze([0xF3, 0x0F, 0x1E, 0xFA, 0x55, 0x53, 0x48, 0x83, 0xEC, 0x10, 0x0F, 0x28]);
        // The JIT's framed prologue: push rbp; push rdi; push rsi; sub rsp, 0x30; lea rbp, [rsp+0x40]
        var jitFramed = Prologue.Analyze([0x55, 0x57, 0x56, 0x48, 0x83, 0xEC, 0x30, 0x48, 0x8D, 0x6C, 0x24, 0x40, 0x33, 0xC0]);

        native.PushesFramePointer.Should().BeFalse();
        native.StackBytesAt(100).Should().Be(8 + 8 + 0x10);
        jitFramed.PushesFramePointer.Should().BeTrue();
        jitFramed.FramePointerSetEnd.Should().Be(12);
        jitFramed.StackBytesAt(3).Should().Be(24, "in the prologue the frame is found from the stack pointer");
    }

    [Fact]
    public void A_frameless_leaf_keeps_its_caller_and_the_walk_goes_on_by_frame_pointers()
    {
        // Main (framed) calls Middle (framed) calls Leaf (frameless, 0x18 bytes of locals); sampled in Leaf's body.
        var memory = new FakeMemory();
        memory.Code(Main, Framed);
        memory.Code(Middle, Framed);
        memory.Code(Leaf, FramelessLeaf);
        const ulong sp = 0x7ffd_0000_1000;
        const ulong middleBp = sp + 0x18 + 8 + 0x20;   // Middle's frame: its saved rbp, then its return address
        const ulong mainBp = middleBp + 0x40;
        memory.Word(sp + 0x18, Middle + 0x30);          // Leaf's return address, into Middle
        memory.Word(middleBp, mainBp);
        memory.Word(middleBp + 8, Main + 0x50);         // Middle's return address, into Main
        memory.Word(mainBp, 0);
        memory.Word(mainBp + 8, 0);

        var frames = Unwind(memory, ip: Leaf + 0x10, sp, bp: middleBp);

        frames.Should().Equal(Leaf + 0x10, Middle + 0x30 - 1, Main + 0x50 - 1);
    }

    [Fact]
    public void A_frameless_method_in_the_middle_keeps_its_caller()
    {
        // Main (framed) calls Middle (frameless: push rsi; push rbx; sub rsp, 0x28) calls Leaf (framed).
        var memory = new FakeMemory();
        memory.Code(Main, Framed);
        memory.Code(Middle, FramelessWithPushes);
        memory.Code(Leaf, Framed);
        const ulong sp = 0x7ffd_0000_2000;
        const ulong leafBp = sp + 0x20;                 // Leaf: sub rsp, 0x20 below its saved rbp
        const ulong middleSp = leafBp + 16;             // after Leaf's saved rbp and return address
        const ulong mainBp = middleSp + 0x38 + 8 + 0x20;
        memory.Word(leafBp, mainBp);                    // Leaf saved the rbp Middle left alone: Main's
        memory.Word(leafBp + 8, Middle + 0x40);
        memory.Word(middleSp + 0x38, Main + 0x60);      // Middle's return address above its 0x38 bytes
        memory.Word(mainBp, 0);
        memory.Word(mainBp + 8, 0);

        var frames = Unwind(memory, ip: Leaf + 0x12, sp, bp: leafBp);

        frames.Should().Equal(Leaf + 0x12, Middle + 0x40 - 1, Main + 0x60 - 1);
    }

    [Fact]
    public void A_walk_over_a_copied_stack_reads_past_the_copy_from_the_process()
    {
        // Main (framed) calls Leaf (framed); the copy holds only Leaf's frame, Main's lies past it.
        var memory = new FakeMemory();
        memory.Code(Main, Framed);
        memory.Code(Leaf, Framed);
        const ulong sp = 0x7ffd_0000_3000;
        const ulong leafBp = sp + 0x20;
        const ulong mainBp = sp + 0x400;
        var copy = new byte[0x30];
        BitConverter.TryWriteBytes(copy.AsSpan(0x20), mainBp);
        BitConverter.TryWriteBytes(copy.AsSpan(0x28), Main + 0x60);
        memory.Word(mainBp, 0);
        memory.Word(mainBp + 8, 0);
        memory.Word(mainBp - 8, 0);
        var window = new StackWindow(memory, 0x30);
        window.Load(sp, copy);

        var output = new ulong[8];
        var count = new StackUnwinder(Map(), window).Unwind(Leaf + 0x12, sp, leafBp, output);

        output[..count].Should().Equal(Leaf + 0x12, Main + 0x60 - 1);
    }

    private ulong[] Unwind(FakeMemory memory, ulong ip, ulong sp, ulong bp)
    {
        var output = new ulong[16];
        var count = new StackUnwinder(Map(), memory).Unwind(ip, sp, bp, output);
        return output[..count];
    }

    private JitCodeMap Map()
    {
        var path = _folder.File("perf-1.map");
        File.WriteAllLines(path, [$"0x{Main:x} 100 void [t] T::Main()[OptimizedTier1]", $"0x{Middle:x} 100 void [t] T::Middle()[OptimizedTier1]", $"0x{Leaf:x} 100 void [t] T::Leaf()[OptimizedTier1]"]);
        var map = new JitCodeMap(path);
        map.Refresh();
        return map;
    }

    private sealed class FakeMemory : IProcessMemory
    {
        private readonly Dictionary<ulong, byte> _bytes = [];

        public void Code(ulong address, byte[] code)
        {
            for (var i = 0; i < code.Length; i++)
            {
                _bytes[address + (ulong)i] = code[i];
            }
        }

        public void Word(ulong address, ulong value) => Code(address, BitConverter.GetBytes(value));

        public bool TryReadWord(ulong address, out ulong value)
        {
            Span<byte> word = stackalloc byte[8];
            var read = Read(address, word);
            value = BitConverter.ToUInt64(word);
            return read == 8;
        }

        public int Read(ulong address, Span<byte> buffer)
        {
            var count = 0;
            while (count < buffer.Length && _bytes.TryGetValue(address + (ulong)count, out var b))
            {
                buffer[count++] = b;
            }
            return count;
        }
    }
}
