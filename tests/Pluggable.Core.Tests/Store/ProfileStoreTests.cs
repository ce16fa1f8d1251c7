using Pluggable.Core.Profiles;
using Pluggable.Core.Store;
using Pluggable.Testing;

namespace Pluggable.Core.Tests.Store;

public class ProfileStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static StackProfile Profile(string eventType, string folded, string unit = KnownUnits.Samples, long? samples = null)
    {
        var profile = FoldedFormat.Read(folded).Profile;
        return profile.WithMetadata(profile.Metadata with { Event = eventType, Unit = unit, Samples = samples });
    }

    [Fact]
    public async Task SaveRaw_names_files_by_id_event_and_time_and_knows_samples_and_size()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 11, 25, 13, 4, 5, TimeSpan.Zero));
        var store = new ProfileStore(_folder.Path, clock);

        var first = await store.SaveRawAsync(Profile("cpu", "A;B 60\nA;C 40\n"));
        var second = await store.SaveRawAsync(Profile("alloc", "A;B 8192\n", KnownUnits.Bytes, samples: 3));

        first.Name.Should().Be("1-cpu-20261125-130405.txt");
        first.Samples.Should().Be(100);
        first.Bytes.Should().Be(new FileInfo(_folder.File(first.Name)).Length);
        first.Kind.Should().Be(KnownFileKinds.Raw);
        second.Name.Should().Be("2-alloc-20261125-130405.txt");
        second.Samples.Should().Be(3, "for bytes the sample count is the number of events, not the total weight");
        store.List().Select(f => f.Name).Should().BeEquivalentTo([first.Name, second.Name]);
    }

    [Fact]
    public async Task Ids_continue_after_a_restart_from_the_highest_stored()
    {
        var store = new ProfileStore(_folder.Path);
        await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        store.Delete(1);

        var restarted = new ProfileStore(_folder.Path);
        var next = await restarted.SaveRawAsync(Profile("cpu", "A 1\n"));

        next.Id.Should().Be(3);
    }

    [Fact]
    public async Task SaveRendered_names_single_and_comparison_files_and_lists_them_with_the_raw_sample_count()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var store = new ProfileStore(_folder.Path, clock);
        var raw = await store.SaveRawAsync(Profile("cpu", "A 5\n"));
        var other = await store.SaveRawAsync(Profile("cpu", "A 7\n"));

        var page = await store.SaveRenderedAsync([raw.Id], "cpu", "flamegraph", "html", (s, ct) => s.WriteAsync("<html></html>"u8.ToArray(), ct).AsTask());
        var diff = await store.SaveRenderedAsync([raw.Id, other.Id], "cpu", "diffgraph", "html", (s, ct) => s.WriteAsync("<html></html>"u8.ToArray(), ct).AsTask());

        page.Name.Should().Be("1-cpu-flamegraph-20260102-030405.html");
        page.Samples.Should().Be(5);
        page.Kind.Should().Be("flamegraph");
        diff.Name.Should().Be("1-2-diffgraph-20260102-030405.html");
        diff.Other.Should().Be(2);
        diff.Samples.Should().Be(7, "a comparison shows the after profile's count");
        diff.Event.Should().Be("cpu");
    }

    [Fact]
    public async Task Two_renders_of_one_profile_in_the_same_second_are_both_kept()
    {
        var store = new ProfileStore(_folder.Path, new FixedClock(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        var raw = await store.SaveRawAsync(Profile("cpu", "A 1\n"));

        var first = await store.SaveRenderedAsync([raw.Id], "cpu", "flamegraph", "html", (s, ct) => s.WriteAsync("first"u8.ToArray(), ct).AsTask());
        var second = await store.SaveRenderedAsync([raw.Id], "cpu", "flamegraph", "html", (s, ct) => s.WriteAsync("second"u8.ToArray(), ct).AsTask());

        first.Name.Should().Be("1-cpu-flamegraph-20260102-030405.html");
        second.Name.Should().Be("1-cpu-flamegraph-20260102-030406.html");
        File.ReadAllText(_folder.File(first.Name)).Should().Be("first");
    }

    [Fact]
    public async Task A_write_that_fails_leaves_neither_a_listed_file_nor_a_temporary_one()
    {
        var store = new ProfileStore(_folder.Path);
        var raw = await store.SaveRawAsync(Profile("cpu", "A 1\n"));

        var act = () => store.SaveRenderedAsync([raw.Id], "cpu", "flamegraph", "html", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[10_000], ct);
            throw new InvalidOperationException("renderer crashed halfway");
        });

        await act.Should().ThrowAsync<InvalidOperationException>();
        store.List().Should().ContainSingle().Which.Name.Should().Be(raw.Name);
        Directory.GetFiles(_folder.Path).Should().ContainSingle();
    }

    [Fact]
    public async Task A_write_in_progress_is_not_listed_until_it_is_complete()
    {
        var store = new ProfileStore(_folder.Path);
        var raw = await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        var halfway = new TaskCompletionSource();
        var finish = new TaskCompletionSource();

        var writing = store.SaveRenderedAsync([raw.Id], "cpu", "flamegraph", "html", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[1000], ct);
            halfway.SetResult();
            await finish.Task;
        });
        await halfway.Task;
        var listedWhileWriting = store.List();
        finish.SetResult();
        var page = await writing;

        listedWhileWriting.Select(f => f.Name).Should().Equal(raw.Name);
        store.List().Select(f => f.Name).Should().Contain(page.Name);
    }

    [Fact]
    public void Leftover_temporary_files_from_a_crash_are_removed_at_start_and_never_listed()
    {
        File.WriteAllText(_folder.File(".tmp-0123-1-cpu-20260101-000000.txt"), "A;B 1");

        var store = new ProfileStore(_folder.Path);

        store.List().Should().BeEmpty();
        Directory.GetFiles(_folder.Path).Should().BeEmpty();
    }

    [Theory]
    [InlineData("../1-cpu-20260101-000000.txt")]
    [InlineData("..%2F1-cpu-20260101-000000.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/1-cpu-20260101-000000.txt")]
    [InlineData("notes.txt")]
    [InlineData("1-cpu-20260101-000000.txt.bak")]
    [InlineData("")]
    public async Task Find_and_OpenRead_refuse_anything_the_store_does_not_list(string name)
    {
        var store = new ProfileStore(_folder.Path, new FixedClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        File.WriteAllText(_folder.File("notes.txt"), "not a profile");

        store.Find(name).Should().BeNull();
        store.OpenRead(name).Should().BeNull();
    }

    [Fact]
    public void A_symlink_named_like_a_profile_is_not_listed_so_it_cannot_lead_out_of_the_folder()
    {
        using var outside = new TempFolder();
        File.WriteAllText(outside.File("secret.txt"), "A 1\n");
        File.CreateSymbolicLink(_folder.File("1-cpu-20260101-000000.txt"), outside.File("secret.txt"));

        var store = new ProfileStore(_folder.Path);

        store.List().Should().BeEmpty();
        store.OpenRead("1-cpu-20260101-000000.txt").Should().BeNull();
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(program, arguments);
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"{program} {string.Join(' ', arguments)}");
    }

    [Fact]
    public async Task A_file_named_like_a_profile_with_a_date_that_is_none_is_left_out_with_one_log_line()
    {
        var logs = new CollectingLoggerProvider();
        var store = new ProfileStore(_folder.Path, logger: logs.CreateLogger("store"));
        var kept = await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        File.WriteAllText(_folder.File("94-cpu-20261399-999999.txt"), "x 1\n");

        var listed = store.List();
        store.List();

        listed.Select(f => f.Name).Should().Equal(kept.Name);
        store.Find("94-cpu-20261399-999999.txt").Should().BeNull();
        logs.Messages.Should().ContainSingle(m => m.Contains("94-cpu-20261399-999999.txt", StringComparison.Ordinal) && m.Contains("is no date", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_fifo_named_like_a_profile_is_left_out_without_blocking_the_listing()
    {
        var logs = new CollectingLoggerProvider();
        Run("mkfifo", _folder.File("1-cpu-20260101-000000.txt"));
        Run("mkfifo", _folder.File("1-cpu-flamegraph-20260101-000000.html"));

        var store = await Task.Run(() => new ProfileStore(_folder.Path, logger: logs.CreateLogger("store"))).WaitAsync(TimeSpan.FromSeconds(10));
        var listed = await Task.Run(store.List).WaitAsync(TimeSpan.FromSeconds(10));

        listed.Should().BeEmpty();
        store.OpenRead("1-cpu-20260101-000000.txt").Should().BeNull();
        (await store.ReadProfileAsync(1).WaitAsync(TimeSpan.FromSeconds(10))).Should().BeNull();
        logs.Messages.Should().Contain(m => m.Contains("1-cpu-20260101-000000.txt", StringComparison.Ordinal) && m.Contains("not a regular file", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hard_link_named_like_a_profile_is_neither_listed_nor_opened_as_it_is_also_a_file_elsewhere()
    {
        using var outside = new TempFolder();
        File.WriteAllText(outside.File("passwd"), "root:x:0:0:root:/root:/bin/bash\n");
        Run("ln", outside.File("passwd"), _folder.File("1-cpu-20260101-000000.txt"));
        var logs = new CollectingLoggerProvider();

        var store = new ProfileStore(_folder.Path, logger: logs.CreateLogger("store"));

        store.List().Should().BeEmpty();
        store.OpenRead("1-cpu-20260101-000000.txt").Should().BeNull();
        logs.Messages.Should().Contain(m => m.Contains("2 hard links", StringComparison.Ordinal));
    }

    private static Func<Stream, CancellationToken, Task> Bytes(int count) => (stream, ct) => stream.WriteAsync(new byte[count], ct).AsTask();

    private long FolderBytes() => Directory.GetFiles(_folder.Path).Sum(path => new FileInfo(path).Length);

    [Fact]
    public async Task Renders_and_comparisons_keep_the_folder_under_its_limit_pushing_out_older_renders_not_the_profiles_they_compare()
    {
        var store = new ProfileStore(_folder.Path, maxBytes: 10_000);
        var before = await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        var after = await store.SaveRawAsync(Profile("cpu", "A 2\n"));

        for (var i = 0; i < 30; i++)
        {
            var diff = await store.SaveRenderedAsync([before.Id, after.Id], "cpu", "diffgraph", "html", Bytes(1000));

            FolderBytes().Should().BeLessThanOrEqualTo(10_000, $"after comparison {i + 1}");
            store.Find(diff.Name).Should().NotBeNull("the file just written stays");
        }
        store.Find(before.Name).Should().NotBeNull();
        store.Find(after.Name).Should().NotBeNull();
    }

    [Fact]
    public async Task Past_its_limit_a_write_removes_whole_profiles_oldest_first_and_no_more_than_it_must()
    {
        var store = new ProfileStore(_folder.Path, maxBytes: 2500);
        var first = await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        await store.SaveRenderedAsync([first.Id], "cpu", "flamegraph", "html", Bytes(1000));
        var second = await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        await store.SaveRenderedAsync([second.Id], "cpu", "flamegraph", "html", Bytes(1000));
        var third = await store.SaveRawAsync(Profile("cpu", "A 1\n"));

        await store.SaveRenderedAsync([third.Id], "cpu", "flamegraph", "html", Bytes(1000));

        store.List().Select(f => f.Id).Distinct().Should().BeEquivalentTo([second.Id, third.Id]);
        FolderBytes().Should().BeLessThanOrEqualTo(2500);
    }

    [Fact]
    public async Task A_held_profile_is_not_removed_by_the_limit_until_released()
    {
        var store = new ProfileStore(_folder.Path, maxBytes: 1500);
        var held = await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        var hold = store.Hold(held.Id);

        var other = await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        await store.SaveRenderedAsync([other.Id], "cpu", "flamegraph", "html", Bytes(2000));
        var keptWhileHeld = store.Find(held.Name);
        hold.Dispose();
        hold.Dispose();
        await store.SaveRenderedAsync([other.Id], "cpu", "speedscope", "json", Bytes(10));

        keptWhileHeld.Should().NotBeNull("a request renders from it");
        store.Find(held.Name).Should().BeNull("released, it is the oldest profile");
    }

    [Fact]
    public async Task Delete_removes_one_profiles_files_and_DeleteAll_the_rest()
    {
        var store = new ProfileStore(_folder.Path);
        var one = await store.SaveRawAsync(Profile("cpu", "A 1\n"));
        await store.SaveRenderedAsync([one.Id], "cpu", "flamegraph", "html", (s, ct) => s.WriteAsync(new byte[1], ct).AsTask());
        var two = await store.SaveRawAsync(Profile("cpu", "A 1\n"));

        store.Delete(one.Id).Should().Be(2);
        store.List().Select(f => f.Id).Should().Equal(two.Id);
        store.DeleteAll().Should().Be(1);
        store.List().Should().BeEmpty();
    }

    [Fact]
    public async Task ReadProfile_reads_back_the_stored_raw_profile()
    {
        var store = new ProfileStore(_folder.Path);
        var raw = await store.SaveRawAsync(Profile("lock", "A;B 500\n", KnownUnits.Nanoseconds, samples: 2));

        var read = await store.ReadProfileAsync(raw.Id);

        read!.Profile.Metadata.Event.Should().Be("lock");
        read.Profile.Metadata.Unit.Should().Be(KnownUnits.Nanoseconds);
        read.Profile.TotalWeight.Should().Be(500);
        (await store.ReadProfileAsync(99)).Should().BeNull();
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
