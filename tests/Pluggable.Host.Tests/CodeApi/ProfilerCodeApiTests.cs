using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;
using Pluggable.Fixtures;
using Pluggable.Host.Engine;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.CodeApi;

/// <summary>The C# API drives the same engine as the page and the HTTP API: same sessions, ids and defaults.</summary>
[Collection(ProfilingCollection.Name)]
public class ProfilerCodeApiTests
{
    [Fact]
    public async Task ProfileAsync_around_a_hot_method_makes_it_dominate_and_the_HTTP_API_lists_the_same_id()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        var result = await host.Profiler.ProfileAsync("alloc", () => Task.Run(() =>
        {
            var until = DateTime.UtcNow.AddSeconds(2);
            while (DateTime.UtcNow < until)
            {
                AllocWorkload.AllocateLargeBuffers();
            }
        }));

        var profile = (await host.Engine.Store.ReadProfileAsync(result.Id))!.Profile;
        var hot = profile.Stacks.Where(s => profile.FrameNames(s).Any(n => n.EndsWith("AllocWorkload.AllocateLargeBuffers", StringComparison.Ordinal))).Sum(s => s.Weight);
        ((double)hot / profile.TotalWeight).Should().BeGreaterThan(0.8, "the block allocated almost everything the process did");
        var listed = (JArray)await host.GetJsonAsync("/api/profiles");
        listed.Select(f => f["id"]!.Value<int>()).Should().Contain(result.Id);
        host.Profiler.ListProfiles().Select(f => f.Name).Should().BeEquivalentTo(listed.Select(f => f["name"]!.Value<string>()));
    }

    [Fact]
    public async Task A_session_started_in_code_shows_as_running_over_HTTP_and_can_be_stopped_there()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        await host.Profiler.StartAsync("wall");
        var status = await host.GetJsonAsync("/api/profiler");
        var stopped = await host.PostOkAsync("/api/profiler/stop", new { });

        status["state"]!.Value<string>().Should().Be("running");
        status["event"]!.Value<string>().Should().Be("wall");
        host.Profiler.Status.State.Should().Be(ProfilerStatus.Idle);
        host.Profiler.Status.LastStop!.Id.Should().Be(stopped["id"]!.Value<int>());
    }

    [Fact]
    public async Task Defaults_set_in_code_appear_in_the_API_and_shape_the_next_page()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        host.Profiler.DefaultOptions = JObject.Parse("""{"transforms": [{"type": "name-lambdas"}], "maxDuration": "10m"}""");
        var result = await host.Profiler.ProfileAsync("wall", () => Task.Delay(300));

        var options = await host.GetJsonAsync("/api/options");
        options["maxDuration"]!.Value<string>().Should().Be("10m");
        var page = await host.Client.GetStringAsync($"/profiles/{result.Files[1].Name}");
        EmbeddedPageData.Read(page)["transforms"]![0]!["type"]!.Value<string>().Should().Be("name-lambdas");
    }

    [Fact]
    public async Task Setting_invalid_defaults_in_code_throws_and_changes_nothing()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);
        var before = host.Profiler.DefaultOptions;

        var act = () => host.Profiler.DefaultOptions = JObject.Parse("""{"transforms": [{"type": "nope"}]}""");

        act.Should().Throw<ProfilerException>().WithMessage("transforms[0]: unknown transform type 'nope'*");
        host.Profiler.DefaultOptions.Should().BeEquivalentTo(before);
    }

    [Fact]
    public async Task ProfileAsync_with_work_that_throws_stores_the_profile_and_rethrows()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        var act = () => host.Profiler.ProfileAsync("wall", async () =>
        {
            await Task.Delay(200);
            throw new InvalidOperationException("the work failed");
        });

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("the work failed");
        host.Profiler.Status.State.Should().Be(ProfilerStatus.Idle);
        host.Profiler.ListProfiles().Should().Contain(f => f.Kind == "raw" && f.Event == "wall");
    }

    [Fact]
    public async Task A_second_start_while_running_fails_with_a_clear_exception()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);
        await host.Profiler.StartAsync("wall");

        var act = () => host.Profiler.StartAsync("alloc");

        (await act.Should().ThrowAsync<ProfilerException>().WithMessage("a 'wall' session has been running since *; stop it first"))
            .Which.Kind.Should().Be(ProfilerErrorKind.AlreadyRunning);
        await host.Profiler.StopAsync();
    }

    [Fact]
    public async Task A_cpu_profile_under_1000_samples_is_marked_low_confidence_in_the_result_the_list_and_the_page()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        var result = await host.Profiler.ProfileAsync("cpu", () => Task.Delay(500));

        result.LowConfidence.Should().MatchRegex(@"^only \d+ samples: the target's threads were seldom on a CPU.*; profile longer.* \(aim for 1000\+\)$");
        result.Warnings.Should().Contain(w => w.StartsWith("low confidence:", StringComparison.Ordinal));
        ((JArray)await host.GetJsonAsync("/api/profiles")).Should().OnlyContain(f => f["lowConfidence"]!.Value<string>() == result.LowConfidence);
        var page = await host.Client.GetStringAsync($"/profiles/{result.Files[1].Name}");
        EmbeddedPageData.Read(page)["profiles"]![0]!["properties"]![ProfileMetadata.LowConfidenceProperty]!.Value<string>().Should().Be(result.LowConfidence);
    }
}
