using Pluggable.Unwinding;

namespace Pluggable.Plugins.Tests.Unwinding;

/// <summary>The walk itself, over a made-up process whose rules and memory the test sets.</summary>
public class StackUnwinderTests
{
    private const ulong Main = 0x5000_0000;
    private const ulong Middle = 0x5000_1000;
    private const ulong Leaf = 0x5000_2000;
    private const ulong Entry = 0x5000_3000;
    private const ulong SignalReturn = 0x5000_4010;
    private const ulong Sp = 0x7ffd_0000_1000;

    [Fact]
    public void Each_frames_rule_leads_to_its_caller_and_the_walk_ends_whole_at_the_threads_entry()
    {
        // Leaf: frameless, 0x18 bytes; Middle: rbp as a general register, pushed 8 bytes below its return address; Main: framed.
        var code = new FakeCode();
        code.Rule(Leaf, FrameRule.StackPointerBased(0x18, 0));
        code.Rule(Middle, FrameRule.StackPointerBased(0x30, 8));
        code.Rule(Main, FrameRule.FramePointerChain);
        code.Rule(Entry, FrameRule.Outermost);
        var memory = new FakeMemory();
        const ulong middleSp = Sp + 0x20;
        const ulong mainSp = middleSp + 0x38;
        const ulong mainBp = mainSp + 0x40;
        memory.Word(Sp + 0x18, Middle + 0x30);
        memory.Word(middleSp + 0x30, Main + 0x50);
        memory.Word(middleSp + 0x28, mainBp);     // where Middle pushed Main's rbp
        memory.Word(mainBp, 0);
        memory.Word(mainBp + 8, Entry + 0x10);

        var (frames, walk) = Unwind(code, memory, ip: Leaf + 0x10, bp: 0xdead_beef);

        frames.Should().Equal(Leaf + 0x10, Middle + 0x30 - 1, Main + 0x50 - 1, Entry + 0x10 - 1);
        walk.End.Should().Be(WalkEnd.ThreadEntry);
    }

    [Fact]
    public void A_return_address_into_no_code_ends_the_walk_without_a_made_up_frame()
    {
        var code = new FakeCode();
        code.Rule(Leaf, FrameRule.StackPointerBased(0x18, 0));
        var memory = new FakeMemory();
        memory.Word(Sp + 0x18, 0xffff_ffff_a000_1234);

        var (frames, walk) = Unwind(code, memory, ip: Leaf + 0x10, bp: 0);

        frames.Should().Equal(Leaf + 0x10);
        walk.End.Should().Be(WalkEnd.ReturnAddressNotCode);
    }

    [Fact]
    public void Code_without_a_rule_is_walked_by_its_frame_pointer()
    {
        var code = new FakeCode();
        code.Unlisted(Middle);
        code.Rule(Entry, FrameRule.Outermost);
        var memory = new FakeMemory();
        const ulong bp = Sp + 0x40;
        memory.Word(bp, 0);
        memory.Word(bp + 8, Entry + 4);

        var (frames, walk) = Unwind(code, memory, ip: Middle + 8, bp);

        frames.Should().Equal(Middle + 8, Entry + 4 - 1);
        walk.End.Should().Be(WalkEnd.ThreadEntry);
    }

    [Fact]
    public void A_signal_handlers_frame_gives_the_interrupted_instruction_as_it_was()
    {
        var code = new FakeCode();
        code.Rule(SignalReturn, FrameRule.SignalReturn);
        code.Rule(Leaf, FrameRule.StackPointerBased(0, 0));
        code.Rule(Entry, FrameRule.Outermost);
        var memory = new FakeMemory();
        const ulong ucontext = Sp + 0x20;
        const ulong interruptedSp = Sp + 0x800;
        memory.Word(Sp + 0x18, SignalReturn);                   // the handler returns into the trampoline
        memory.Word(ucontext + 40 + (10 * 8), 0x1234);          // rbp
        memory.Word(ucontext + 40 + (15 * 8), interruptedSp);   // rsp
        memory.Word(ucontext + 40 + (16 * 8), Leaf + 0x44);     // rip
        memory.Word(interruptedSp, Entry + 2);
        code.Rule(Main, FrameRule.StackPointerBased(0x10, 0));
        memory.Word(Sp + 0x10, 0);

        var (frames, walk) = Unwind(code, memory, ip: Main, bp: 0, sp: Sp + 8);

        frames.Should().Equal(Main, SignalReturn - 1, Leaf + 0x44, Entry + 2 - 1);
        walk.End.Should().Be(WalkEnd.ThreadEntry);
    }

    [Fact]
    public void The_unoptimized_frame_under_an_on_stack_replacement_frame_is_walked_from_the_stack_pointer()
    {
        // Leaf (OSR code: rbp points at its copy of the caller's rbp) returns into Middle's unoptimized code, whose own
        // rbp it took over: Middle is framed (0x60 bytes below its saved rbp) and must be found from rsp instead.
        var code = new FakeCode();
        code.Rule(Leaf, FrameRule.OnStackReplacement);
        code.Rule(Middle, FrameRule.FramePointerChain);
        code.StackPointerRules[Middle] = FrameRule.StackPointerBased(0x68, 8);
        code.Rule(Entry, FrameRule.Outermost);
        var memory = new FakeMemory();
        const ulong osrBp = Sp + 0x10;
        const ulong middleSp = osrBp + 16;
        const ulong mainBp = middleSp + 0x400;
        memory.Word(osrBp, mainBp);                        // the OSR code's copy of Middle's saved rbp
        memory.Word(osrBp + 8, Middle + 0x20);             // the return into Middle's patchpoint call
        memory.Word(middleSp + 0x60, mainBp);              // Middle's saved rbp
        memory.Word(middleSp + 0x68, Entry + 8);           // Middle's return address

        var (frames, walk) = Unwind(code, memory, ip: Leaf + 0x30, bp: osrBp);

        frames.Should().Equal(Leaf + 0x30, Middle + 0x20 - 1, Entry + 8 - 1);
        walk.End.Should().Be(WalkEnd.ThreadEntry);
    }

    [Fact]
    public void A_walk_over_a_perf_samples_copy_ends_where_the_copy_ends()
    {
        var code = new FakeCode();
        code.Rule(Leaf, FrameRule.StackPointerBased(0x18, 0));
        code.Rule(Middle, FrameRule.StackPointerBased(0x100, 0));
        var memory = new FakeMemory();
        memory.Word(Sp + 0x18, Middle + 4);
        memory.Word(Sp + 0x20 + 0x100, Main + 4);   // in the process, but past the copy
        var copy = new byte[0x40];
        BitConverter.TryWriteBytes(copy.AsSpan(0x18), Middle + 4);
        var window = new StackWindow(memory, 0x40, readPastWindow: false);
        window.Load(Sp, copy);

        var output = new ulong[8];
        var walk = new StackUnwinder(code, window).Unwind(Leaf, Sp, 0, output);

        output[..walk.Count].Should().Equal(Leaf, Middle + 4 - 1);
        walk.End.Should().Be(WalkEnd.StackNotReadable);
    }

    [Fact]
    public void A_stopped_threads_stack_is_read_past_the_window_from_the_process()
    {
        var code = new FakeCode();
        code.Rule(Leaf, FrameRule.StackPointerBased(0x18, 0));
        code.Rule(Middle, FrameRule.StackPointerBased(0x100, 0));
        code.Rule(Main, FrameRule.Outermost);
        var memory = new FakeMemory();
        memory.Word(Sp + 0x18, Middle + 4);
        memory.Word(Sp + 0x20 + 0x100, Main + 4);
        for (var word = Sp; word < Sp + 0x40; word += 8)
        {
            memory.Word(word, memory.ReadOr(word));
        }
        var window = new StackWindow(memory, 0x40, readPastWindow: true);
        window.MoveTo(Sp);

        var output = new ulong[8];
        var walk = new StackUnwinder(code, window).Unwind(Leaf, Sp, 0, output);

        output[..walk.Count].Should().Equal(Leaf, Middle + 4 - 1, Main + 4 - 1);
        walk.End.Should().Be(WalkEnd.ThreadEntry);
    }

    private static (ulong[] Frames, WalkResult Walk) Unwind(FakeCode code, FakeMemory memory, ulong ip, ulong bp, ulong sp = Sp)
    {
        var output = new ulong[16];
        var walk = new StackUnwinder(code, memory).Unwind(ip, sp, bp, output);
        return (output[..walk.Count], walk);
    }

    /// <summary>Functions of 0x1000 bytes at the addresses given a rule; the rest is no code.</summary>
    private sealed class FakeCode : IFrameRules
    {
        private readonly Dictionary<ulong, FrameRule?> _functions = [];

        public void Rule(ulong function, FrameRule rule) => _functions[function & ~0xFFFUL] = rule;

        public void Unlisted(ulong function) => _functions[function] = null;

        public Dictionary<ulong, FrameRule> StackPointerRules { get; } = [];

        public bool IsCode(ulong address) => _functions.ContainsKey(address & ~0xFFFUL);

        public bool TryGetStackPointerRule(ulong address, out FrameRule rule) => StackPointerRules.TryGetValue(address & ~0xFFFUL, out rule);

        public bool TryGetRule(ulong address, bool exact, out FrameRule rule, out CodeKind kind)
        {
            rule = default;
            if (!_functions.TryGetValue(address & ~0xFFFUL, out var found))
            {
                kind = CodeKind.None;
                return false;
            }
            kind = found is null ? CodeKind.UnlistedJitted : CodeKind.Jitted;
            rule = found ?? default;
            return found is not null;
        }
    }

    internal sealed class FakeMemory : IProcessMemory
    {
        private readonly Dictionary<ulong, ulong> _words = [];

        public void Word(ulong address, ulong value) => _words[address] = value;

        public ulong ReadOr(ulong address) => _words.GetValueOrDefault(address);

        public bool TryReadWord(ulong address, out ulong value) => _words.TryGetValue(address, out value);

        public int Read(ulong address, Span<byte> buffer)
        {
            var count = 0;
            while (count + 8 <= buffer.Length && _words.TryGetValue(address + (ulong)count, out var word))
            {
                BitConverter.TryWriteBytes(buffer[count..], word);
                count += 8;
            }
            return count;
        }
    }
}
