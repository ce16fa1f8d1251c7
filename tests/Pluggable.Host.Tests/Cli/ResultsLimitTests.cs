using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Cli;

/// <summary>
/// <c>--max-results-mb</c> as the executable takes it, and its default of 1024: a stop that takes the results folder past
/// the limit removes the older profiles. The older profile's page is a sparse file, so that a gigabyte counts against the
/// limit without being written to the disk.
/// </summary>
public class ResultsLimitTests
{
    private const long Megabyte = 1024 * 1024;

    [Fact]
    public async Task A_stop_past_max_results_mb_removes_the_older_profile_and_keeps_the_folder_under_the_limit()
    {
        var (oldKept, folderBytes) = await ProfileBesideAnOlderProfileAsync(3 * Megabyte, "--max-results-mb", "2");

        oldKept.Should().BeFalse("3 MB of an older profile are past the 2 MB limit");
        folderBytes.Should().BeLessThanOrEqualTo(2 * Megabyte);
    }

    [Theory]
    [InlineData(1020, true)]
    [InlineData(1030, false)]
    public async Task Without_max_results_mb_the_folder_holds_1024_mb(long olderProfileMegabytes, bool kept)
    {
        var (oldKept, folderBytes) = await ProfileBesideAnOlderProfileAsync(olderProfileMegabytes * Megabyte);

        oldKept.Should().Be(kept);
        folderBytes.Should().BeLessThanOrEqualTo(1024 * Megabyte);
    }

    /// <summary>
    /// Plants profile 1 with a page of <paramref name="pageBytes"/>, profiles the host itself once, and answers whether
    /// profile 1 is still listed and how many bytes the folder's files take.
    /// </summary>
    private static async Task<(bool OldKept, long FolderBytes)> ProfileBesideAnOlderProfileAsync(long pageBytes, params string[] arguments)
    {
        using var results = new TempFolder("pluggable-results");
        File.WriteAllText(results.File("1-wall-20260101-000000.txt"), "Main;Wait 1\n");
        using (var page = File.Create(results.File("1-wall-flamegraph-20260101-000000.html")))
        {
            page.SetLength(pageBytes);
        }
        await using var host = await HostProcess.StartAsync(["--results", results.Path, .. arguments]);

        var stopped = await host.Client.ProfileAsync("wall", TimeSpan.FromMilliseconds(300));

        stopped["id"]!.Value<int>().Should().Be(2, "the planted profile was listed when the host started");
        var listed = (JArray)await host.Client.GetJsonAsync("/api/profiles");
        return (listed.Any(f => f["id"]!.Value<int>() == 1), Directory.GetFiles(results.Path).Sum(path => new FileInfo(path).Length));
    }
}
