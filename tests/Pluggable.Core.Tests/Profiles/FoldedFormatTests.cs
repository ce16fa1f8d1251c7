using Pluggable.Core.Profiles;

namespace Pluggable.Core.Tests.Profiles;

public class FoldedFormatTests
{
    [Fact]
    public void Write_then_Read_gives_back_the_same_stacks_weights_kinds_and_metadata()
    {
        var start = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        var builder = new StackProfileBuilder(new ProfileMetadata
        {
            Event = "cpu",
            Unit = KnownUnits.Samples,
            Interval = "100 Hz",
            TargetPid = 42,
            TargetName = "shop",
            Start = start,
            End = start.AddSeconds(10),
            Partial = true,
            Properties = new Dictionary<string, string> { ["mode"] = "per-cpu" },
        });
        int[] hot = [builder.Intern("Program.<Main>b__0_0"), builder.Intern("List<T>.Add"), builder.Intern("memmove", FrameKind.Native), builder.Intern("do_syscall_64", FrameKind.Kernel)];
        builder.Add(hot, 70);
        builder.Add(hot.AsSpan(0, 2), 30);
        var profile = builder.Build();

        var text = FoldedFormat.Write(profile);
        var read = FoldedFormat.Read(text);

        read.Errors.Should().BeEmpty();
        text.Should().Contain("Program.<Main>b__0_0;List<T>.Add;memmove_[n];do_syscall_64_[k] 70\n");
        var back = read.Profile;
        back.Stacks.Select(s => (string.Join(";", back.FrameNames(s)), s.Weight))
            .Should().BeEquivalentTo(new[] { ("Program.<Main>b__0_0;List<T>.Add;memmove;do_syscall_64", 70L), ("Program.<Main>b__0_0;List<T>.Add", 30L) });
        back.Frames.Should().Contain(new Frame("do_syscall_64", FrameKind.Kernel)).And.Contain(new Frame("memmove", FrameKind.Native));
        back.Metadata.Should().BeEquivalentTo(profile.Metadata with { Samples = 100 });
        FoldedFormat.Write(back).Should().Be(text);
    }

    [Fact]
    public void Read_reports_each_bad_line_with_its_number_and_keeps_the_good_ones()
    {
        const string text = "# event: alloc\nA;B 10\nA;B\nA;;B 5\nA;C -3\nA;C 1.5\n\nA;C 7\n";

        var read = FoldedFormat.Read(text);

        read.Errors.Select(e => e.Line).Should().Equal(3, 4, 5, 6);
        read.Errors[0].Message.Should().Contain("no weight");
        read.Errors[1].Message.Should().Contain("empty frame");
        read.Errors[2].Message.Should().Contain("'-3'");
        read.Errors[3].ToString().Should().StartWith("line 6: ");
        read.Profile.TotalWeight.Should().Be(17);
        read.Profile.Metadata.Event.Should().Be("alloc");
    }

    [Fact]
    public void Read_sums_repeated_stacks_into_one()
    {
        var read = FoldedFormat.Read("A;B 1\nA;B 2\nA 4\n");

        read.Profile.Stacks.Should().HaveCount(2);
        read.Profile.Stacks.Single(s => s.Frames.Length == 2).Weight.Should().Be(3);
    }

    [Fact]
    public void Read_keeps_frame_names_with_spaces_because_only_the_last_space_separates_the_weight()
    {
        var read = FoldedFormat.Read("Main;Dictionary`2[System.String, System.Int32].TryInsert(key, value) 9\n");

        read.Errors.Should().BeEmpty();
        read.Profile.Frames.Select(f => f.Name).Should().Contain("Dictionary`2[System.String, System.Int32].TryInsert(key, value)");
    }

    [Fact]
    public void Intern_replaces_semicolons_and_line_breaks_that_would_break_the_format()
    {
        var builder = new StackProfileBuilder(new ProfileMetadata { Event = "cpu" });
        builder.Add(["a;b", "c\nd"], 1);

        var text = FoldedFormat.Write(builder.Build());

        FoldedFormat.Read(text).Profile.Frames.Select(f => f.Name).Should().Equal("a:b", "c d");
    }

    [Fact]
    public void Read_without_a_header_counts_samples_as_the_total_weight_and_uses_the_fallback_event()
    {
        var profile = FoldedFormat.Read("A;B 3\nA 4\n", fallbackEvent: "itimer").Profile;

        profile.Metadata.Event.Should().Be("itimer");
        profile.SampleCount.Should().Be(7);
    }
}
