using System.Diagnostics;
using System.Net;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.Diffgraph;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Security;

/// <summary>The host under concurrent clients, limits, a full disk and a target that goes away.</summary>
public class ReliabilityTests
{
    [Fact]
    public async Task Concurrent_starts_stops_and_deletes_keep_one_session_at_a_time_and_no_torn_files()
    {
        var sampler = new ScriptedSampler("scripted");
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer()]);

        // In runs of five, so that starts meet a running session: the server takes alternating requests one by one,
        // and a start would never find another running.
        var kinds = Enumerable.Range(0, 60).Select(i => i / 5 % 3).ToArray();
        var requests = kinds.Select((kind, i) => kind switch
        {
            0 => host.PostJsonAsync("/api/profiler/start", new { @event = "scripted" }),
            1 => host.PostJsonAsync("/api/profiler/stop", "{}"),
            _ => host.Client.DeleteAsync(i % 2 == 0 ? "/api/profiles" : "/api/profiles/1"),
        });
        var responses = await Task.WhenAll(requests);

        responses.Select(r => r.StatusCode).Should().OnlyContain(s => s == HttpStatusCode.OK || s == HttpStatusCode.Conflict || s == HttpStatusCode.NotFound,
            "a refused start or stop is a 409, never a 500");
        var starts = responses.Where((_, i) => kinds[i] == 0).ToList();
        starts.Should().Contain(r => r.StatusCode == HttpStatusCode.Conflict, "starts met a running session");
        sampler.SessionsStarted.Should().Be(starts.Count(r => r.StatusCode == HttpStatusCode.OK));
        sampler.MostSessionsOpenAtOnce.Should().Be(1, "a start while a session runs is refused, never run beside it");
        sampler.SessionsDisposed.Should().BeGreaterThanOrEqualTo(sampler.SessionsStarted - 1, "every stopped session was released");
        foreach (var file in host.Engine.Store.List().Where(f => f.Kind == "raw"))
        {
            var read = await host.Engine.Store.ReadProfileAsync(file.Id);
            read!.Errors.Should().BeEmpty();
            read.Profile.TotalWeight.Should().Be(100);
        }
        Directory.GetFiles(host.ResultsFolder, ".tmp-*").Should().BeEmpty();
    }

    [Fact]
    public async Task A_request_body_over_the_cap_is_refused_before_it_is_read()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer()]);
        var huge = "{\"options\": {\"transforms\": [" + string.Join(",", Enumerable.Repeat("{\"type\": \"x\"}", 120_000)) + "]}}";

        var response = await host.PostJsonAsync("/api/profiler/start", huge);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        host.Engine.Status.State.Should().Be("idle");
    }

    [Fact]
    public async Task A_renderer_that_throws_fails_the_render_naming_it_keeps_the_raw_profile_and_leaves_no_partial_file()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer(), new ThrowingRenderer()]);
        var stopped = await host.ProfileAsync("scripted", TimeSpan.Zero);

        var response = await host.PostJsonAsync("/api/flamegraph", new { id = stopped["id"], renderer = "broken" });

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        (await response.Content.ReadAsStringAsync()).Should().Contain("renderer 'broken' (plugin 'test-plugins') failed: out of ink");
        host.Engine.Store.List().Select(f => f.Kind).Should().BeEquivalentTo(["raw", "flamegraph"]);
        Directory.GetFiles(host.ResultsFolder, ".tmp-*").Should().BeEmpty();
        (await host.PostOkAsync("/api/flamegraph", new { id = stopped["id"] }))["kind"]!.Value<string>().Should().Be("flamegraph", "the host goes on");
    }

    private sealed class ThrowingRenderer : Core.Contracts.IRenderer
    {
        public Core.Contracts.RendererInfo Info { get; } = new("broken", "txt", "text/plain", 1, "throws halfway");

        public async Task RenderAsync(Core.Contracts.RenderRequest request, Stream output, CancellationToken cancellationToken)
        {
            await output.WriteAsync(new byte[4096], cancellationToken);
            throw new InvalidOperationException("out of ink");
        }
    }

    [Fact]
    public async Task A_session_stops_counting_at_maxSamples_and_says_so()
    {
        await using var target = await FixtureProcess.StartAsync("exceptions");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);

        var stopped = await host.ProfileAsync("exceptions", TimeSpan.FromSeconds(2), new { maxSamples = 25 });

        stopped["samples"]!.Value<long>().Should().Be(25);
        stopped["warnings"]!.Values<string>().Should().Contain(w => w!.StartsWith("limit: stopped counting at maxSamples (25)", StringComparison.Ordinal));
        var profile = (await host.Engine.Store.ReadProfileAsync(stopped["id"]!.Value<int>()))!.Profile;
        profile.Metadata.Properties.Should().ContainKey(ProfileMetadata.LimitProperty);
    }

    [Fact]
    public async Task Past_its_size_limit_the_results_folder_drops_the_oldest_profiles_first()
    {
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer()], maxResultsBytes: 1);
        var first = await host.ProfileAsync("scripted", TimeSpan.Zero);

        var second = await host.ProfileAsync("scripted", TimeSpan.Zero);

        first["id"]!.Value<int>().Should().Be(1);
        var listed = (JArray)await host.GetJsonAsync("/api/profiles");
        listed.Select(f => f["id"]!.Value<int>()).Distinct().Should().Equal([second["id"]!.Value<int>()], "the newest profile is kept even when it alone is over the limit");
        Directory.GetFiles(host.ResultsFolder, "1-*").Should().BeEmpty("the oldest profile's files are removed");
    }

    [Fact]
    public async Task Thirty_diffgraphs_keep_the_results_folder_under_its_limit_and_the_two_profiles_they_compare()
    {
        const long limit = 300_000;
        await using var host = await TestHost.StartAsync([new ScriptedSampler("scripted"), new FlamegraphRenderer(), new DiffgraphRenderer()], maxResultsBytes: limit);
        var before = (await host.ProfileAsync("scripted", TimeSpan.Zero))["id"]!.Value<int>();
        var after = (await host.ProfileAsync("scripted", TimeSpan.Zero))["id"]!.Value<int>();

        for (var i = 0; i < 30; i++)
        {
            var diff = await host.PostOkAsync("/api/diffgraph", new { before, after });

            Directory.GetFiles(host.ResultsFolder).Sum(path => new FileInfo(path).Length).Should().BeLessThanOrEqualTo(limit, $"after diffgraph {i + 1}");
            File.Exists(Path.Combine(host.ResultsFolder, diff["name"]!.Value<string>()!)).Should().BeTrue();
        }
        var raws = host.Engine.Store.List().Where(f => f.Kind == "raw").Select(f => f.Id);
        raws.Should().BeEquivalentTo([before, after]);
    }

    [SkippableFact]
    public async Task A_full_disk_fails_the_stop_clearly_and_lists_nothing_half_written()
    {
        Skip.IfNot(Environment.UserName == "root", "mounting a small tmpfs needs root");
        using var folder = new TempFolder("pluggable-full");
        var mount = Process.Start("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", folder.Path])!;
        await mount.WaitForExitAsync();
        Skip.If(mount.ExitCode != 0, "this machine cannot mount a tmpfs");
        try
        {
            var big = string.Join("", Enumerable.Range(0, 4000).Select(i => $"Main;Module{i}.Service.HandleRequestWithALongName;Db.Query{i} {i + 1}\n"));
            var sampler = new ScriptedSampler("scripted") { Folded = big };
            await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer()]);
            var store = new Pluggable.Core.Store.ProfileStore(folder.Path);
            var engine = new Engine.ProfilerEngine(host.Engine.Registry, store, host.Engine.Target, null, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            await engine.StartAsync("scripted", null);

            var act = () => engine.StopAsync();

            (await act.Should().ThrowAsync<Engine.ProfilerException>().WithMessage($"the profile could not be stored in {folder.Path}: *No space left on device*"))
                .Which.Kind.Should().Be(Engine.ProfilerErrorKind.StorageFailed);
            store.List().Should().BeEmpty();
            Directory.GetFiles(folder.Path).Should().BeEmpty("the half-written temporary file is removed");
            engine.Status.State.Should().Be("idle", "the session is over even though its profile could not be stored");
        }
        finally
        {
            Process.Start("umount", [folder.Path])!.WaitForExit();
        }
    }

    [SkippableFact]
    public async Task A_read_only_results_folder_fails_deletes_and_option_changes_with_a_reason_and_loses_nothing()
    {
        Skip.IfNot(Environment.UserName == "root", "mounting a tmpfs needs root");
        await using var host = await TestHost.StartAsync(new ProfilerHostOptions { PluginFolders = [RepoPaths.BuiltPlugins] });
        var mount = Process.Start("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", host.ResultsFolder])!;
        await mount.WaitForExitAsync();
        Skip.If(mount.ExitCode != 0, "this machine cannot mount a tmpfs");
        try
        {
            File.WriteAllText(Path.Combine(host.ResultsFolder, "1-wall-20260101-000000.txt"), "Main;Wait 1\n");
            (await host.Client.SendAsync(Requests.Json(HttpMethod.Put, "/api/options", """{"threads": true}"""))).StatusCode.Should().Be(HttpStatusCode.OK);
            Process.Start("mount", ["-o", "remount,ro", host.ResultsFolder])!.WaitForExit();

            var deleteAll = await host.Client.DeleteAsync("/api/profiles");
            var deleteOne = await host.Client.DeleteAsync("/api/profiles/1");
            var put = await host.Client.SendAsync(Requests.Json(HttpMethod.Put, "/api/options", """{"threads": false}"""));

            foreach (var response in new[] { deleteAll, deleteOne, put })
            {
                response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
                JObject.Parse(await response.Content.ReadAsStringAsync())["error"]!.Value<string>().Should().Contain("Read-only file system");
            }
            JObject.Parse(await put.Content.ReadAsStringAsync())["error"]!.Value<string>().Should().Contain("the defaults in use are unchanged");
            (await host.GetJsonAsync("/api/options"))["threads"]!.Value<bool>().Should().BeTrue();
            ((JArray)await host.GetJsonAsync("/api/profiles")).Select(f => f["id"]!.Value<int>()).Should().Equal(1);
        }
        finally
        {
            Process.Start("umount", [host.ResultsFolder])!.WaitForExit();
        }
    }

    [Fact]
    public async Task When_the_target_exits_the_status_says_so()
    {
        var target = await FixtureProcess.StartAsync("idle");
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: target.Pid);
        (await host.GetJsonAsync("/api/profiler"))["targetRunning"]!.Value<bool>().Should().BeTrue();

        target.Kill();
        await target.DisposeAsync();

        (await host.GetJsonAsync("/api/profiler"))["targetRunning"]!.Value<bool>().Should().BeFalse();
    }
}
