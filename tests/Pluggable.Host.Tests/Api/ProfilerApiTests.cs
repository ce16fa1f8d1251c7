using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Profiles;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

/// <summary>The HTTP API's contract, over a real Kestrel host, with a scripted sampler standing in for a real one.</summary>
public class ProfilerApiTests : IAsyncLifetime
{
    private readonly ScriptedSampler _sampler = new("scripted");
    private readonly ScriptedSampler _bytes = new("bytes", KnownUnits.Bytes);
    private TestHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await TestHost.StartAsync([_sampler, _bytes, new FlamegraphRenderer(), new RenameTransformFactory()],
            JObject.Parse("""{"interval": "20ms", "events": {}, "transforms": [{"type": "rename", "from": "Cold", "to": "Chilly"}]}"""));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task EventTypes_lists_each_type_with_plugin_unit_and_availability()
    {
        _bytes.Availability = Availability.Unavailable("the target is too old", "upgrade it");

        var types = (JArray)await _host.GetJsonAsync("/api/event-types");

        types.Should().HaveCount(2);
        types[0]!.ToObject<Dictionary<string, object?>>().Should().Contain(new Dictionary<string, object?>
        {
            ["name"] = "scripted", ["plugin"] = "test-plugins", ["unit"] = "samples", ["available"] = true,
        });
        types[1]!["available"]!.Value<bool>().Should().BeFalse();
        types[1]!["reason"]!.Value<string>().Should().Be("the target is too old");
        types[1]!["fix"]!.Value<string>().Should().Be("upgrade it");
    }

    [Fact]
    public async Task Start_then_stop_stores_the_raw_profile_and_its_flamegraph_and_lists_both()
    {
        var started = await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
        started["state"]!.Value<string>().Should().Be("running");
        (await _host.GetJsonAsync("/api/profiler"))["event"]!.Value<string>().Should().Be("scripted");

        var stopped = await _host.PostOkAsync("/api/profiler/stop", new { });

        stopped["id"]!.Value<int>().Should().Be(1);
        stopped["samples"]!.Value<long>().Should().Be(100);
        stopped["files"]!.Select(f => f["kind"]!.Value<string>()).Should().Equal("raw", "flamegraph");
        stopped["warnings"]!.Should().BeEmpty();
        var listed = (JArray)await _host.GetJsonAsync("/api/profiles");
        listed.Select(f => f["name"]!.Value<string>()).Should().BeEquivalentTo(stopped["files"]!.Select(f => f["name"]!.Value<string>()));
        foreach (var file in listed)
        {
            file["samples"]!.Value<long>().Should().Be(100);
            file["bytes"]!.Value<long>().Should().BeGreaterThan(0);
            file["event"]!.Value<string>().Should().Be("scripted");
        }
        (await _host.GetJsonAsync("/api/profiler"))["state"]!.Value<string>().Should().Be("idle");
        _sampler.SessionsDisposed.Should().Be(1);
    }

    [Fact]
    public async Task Stop_of_a_profile_without_samples_warns_with_the_cause_and_the_fix_its_sampler_declares()
    {
        var quiet = new ScriptedSampler("quiet") { Folded = "", FewSamples = new("nothing happened", "make it happen") };
        await using var host = await TestHost.StartAsync([quiet, new FlamegraphRenderer()]);

        var stopped = await host.ProfileAsync("quiet", TimeSpan.Zero);

        const string why = "no samples: nothing happened; make it happen";
        stopped["samples"]!.Value<long>().Should().Be(0);
        stopped["lowConfidence"]!.Value<string>().Should().Be(why);
        stopped["warnings"]!.Values<string>().Should().Equal($"low confidence: {why}");
        ((JArray)await host.GetJsonAsync("/api/profiles")).Should().OnlyContain(f => f["lowConfidence"]!.Value<string>() == why);
    }

    [Fact]
    public async Task The_raw_file_keeps_what_was_sampled_while_the_page_shows_the_default_transforms()
    {
        var stopped = await _host.ProfileAsync("scripted", TimeSpan.Zero);

        var raw = await _host.Client.GetStringAsync($"/profiles/{stopped["files"]![0]!["name"]}");
        var page = await _host.Client.GetStringAsync($"/profiles/{stopped["files"]![1]!["name"]}");

        raw.Should().Contain("Main;Work;Cold 30").And.NotContain("Chilly");
        EmbeddedPageData.FrameNames(page).Should().Contain("Chilly").And.NotContain("Cold");
    }

    [Fact]
    public async Task Start_passes_the_request_options_merged_over_the_defaults_to_the_sampler()
    {
        await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted", options = new { threads = true } });
        await _host.PostOkAsync("/api/profiler/stop", new { });

        var options = _sampler.LastRequest!.Options;
        options.Threads.Should().BeTrue("the request asked for it");
        options.Interval.Should().Be(TimeSpan.FromMilliseconds(20), "the defaults file set it");
        options.MaxDuration.Should().Be(TimeSpan.FromHours(1), "the built-in default");
    }

    [Fact]
    public async Task Start_while_running_is_409_and_stop_while_idle_is_409()
    {
        await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });

        var second = await _host.PostJsonAsync("/api/profiler/start", new { @event = "scripted" });
        await _host.PostOkAsync("/api/profiler/stop", new { });
        var idleStop = await _host.PostJsonAsync("/api/profiler/stop", "{}");

        second.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await second.Content.ReadAsStringAsync()).Should().Contain("'scripted' session has been running");
        idleStop.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await idleStop.Content.ReadAsStringAsync()).Should().Contain("no profiling session is running");
    }

    [Fact]
    public async Task Start_of_an_unknown_event_type_is_400_naming_the_known_ones()
    {
        var response = await _host.PostJsonAsync("/api/profiler/start", new { @event = "cycles" });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Error(response)).Should().Be("unknown event type 'cycles'; known: scripted, bytes");
    }

    [Fact]
    public async Task Start_of_an_unavailable_event_type_is_400_with_the_reason_and_the_fix()
    {
        _sampler.Availability = Availability.Unavailable("perf_event_paranoid is 3", "sysctl -w kernel.perf_event_paranoid=1");

        var response = await _host.PostJsonAsync("/api/profiler/start", new { @event = "scripted" });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Error(response)).Should().Be("event type 'scripted' is not available: perf_event_paranoid is 3 Fix: sysctl -w kernel.perf_event_paranoid=1");
    }

    [Theory]
    [InlineData("{\"event\": \"scripted\",\n \"options\": {\"interval\": }\n}", "request body line 2, position *")]
    [InlineData("{\"event\": \"scripted\", \"options\": {\"intervall\": \"1ms\"}}", "'intervall' is not an option*")]
    [InlineData("{\"event\": \"scripted\", \"opts\": {}}", "request body: 'opts' is not a field here*")]
    [InlineData("{\"event\": 7}", "request body: 'event' must be a string")]
    [InlineData("{\"event\": \"scripted\", \"options\": {\"transforms\": [{\"type\": \"nope\"}]}}", "transforms[0]: unknown transform type 'nope'*")]
    [InlineData("{\"event\": \"scripted\", \"options\": {\"interval\": 1e308}}", "interval: at most 1s, found 1E+308")]
    [InlineData("{\"event\": \"scripted\", \"options\": {\"maxDuration\": 1e308}}", "maxDuration: at most 720h, found 1E+308")]
    [InlineData("{\"event\": \"scripted\", \"options\": {\"maxSamples\": 99999999999999999999999}}", "maxSamples: expected a whole number from 1 to *")]
    [InlineData("{\"event\": \"scripted\", \"options\": {\"interval\": \"1us\"}}", "interval: 1us is shorter than scripted takes; its shortest is 100us")]
    [InlineData("{\"event\": \"scripted\", \"options\": {\"renderers\": {\"flamegraph\": {\"bogus\": 1}}}}", "renderers.flamegraph: Could not find member 'bogus'*")]
    public async Task Start_with_bad_json_or_options_is_400_saying_where(string body, string message)
    {
        var response = await _host.PostJsonAsync("/api/profiler/start", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Error(response)).Should().Match(message);
        _sampler.SessionsStarted.Should().Be(0);
    }

    [Theory]
    [InlineData("/api/profiler/start")]
    [InlineData("/api/profiler/stop")]
    [InlineData("/api/flamegraph")]
    [InlineData("/api/diffgraph")]
    public async Task Posts_without_json_content_type_are_415(string path)
    {
        var response = await _host.Client.PostAsync(path, new FormUrlEncodedContent([new("event", "scripted")]));

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        _sampler.SessionsStarted.Should().Be(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Content-Length: 0\r\n")]
    public async Task A_stop_without_a_body_or_content_type_stops_the_session_as_curl_sends_it(string headers)
    {
        await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });

        var status = await RawHttp.StatusAsync(_host.Address, "POST", "/api/profiler/stop", headers);

        status.Should().Be(200);
        (await _host.GetJsonAsync("/api/profiler"))["state"]!.Value<string>().Should().Be("idle");
    }

    [Fact]
    public async Task A_json_body_sent_as_plain_text_is_415()
    {
        var response = await _host.Client.PostAsync("/api/profiler/start", new StringContent("{\"event\": \"scripted\"}"));

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        _sampler.SessionsStarted.Should().Be(0);
    }

    [Fact]
    public async Task A_cross_site_post_without_a_body_is_still_403()
    {
        await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });

        var status = await RawHttp.StatusAsync(_host.Address, "POST", "/api/profiler/stop", "Origin: http://evil.example\r\n");

        status.Should().Be(403);
        (await _host.GetJsonAsync("/api/profiler"))["state"]!.Value<string>().Should().Be("running");
        await _host.PostOkAsync("/api/profiler/stop", new { });
    }

    [Fact]
    public async Task State_changing_requests_from_another_origin_are_403()
    {
        var post = await _host.Client.SendAsync(Requests.Json(HttpMethod.Post, "/api/profiler/start", "{\"event\":\"scripted\"}", origin: "http://evil.example"));
        var delete = new HttpRequestMessage(HttpMethod.Delete, "/api/profiles");
        delete.Headers.Add("Sec-Fetch-Site", "cross-site");
        var deleteResponse = await _host.Client.SendAsync(delete);
        var sameOrigin = await _host.Client.SendAsync(Requests.Json(HttpMethod.Post, "/api/profiler/start", "{\"event\":\"scripted\"}", origin: _host.Address.GetLeftPart(UriPartial.Authority)));

        post.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        deleteResponse.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        sameOrigin.StatusCode.Should().Be(HttpStatusCode.OK);
        _sampler.SessionsStarted.Should().Be(1);
        await _host.PostOkAsync("/api/profiler/stop", new { });
    }

    /// <summary>Every route the server maps, not a list kept by hand: a route added later is held to the rule too.</summary>
    [Fact]
    public async Task Every_state_changing_route_refuses_another_origin_and_changes_nothing()
    {
        await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
        await _host.PostOkAsync("/api/profiler/stop", new { });
        var before = (await _host.GetJsonAsync("/api/profiles")).ToString();
        var routes = _host.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])
                .Where(m => m is "POST" or "PUT" or "DELETE")
                .Select(m => (Method: m, Path: Regex.Replace(e.RoutePattern.RawText!, @"\{[^}]+\}", "1"))))
            .ToArray();

        var answers = new List<string>();
        foreach (var (method, path) in routes)
        {
            var response = await _host.Client.SendAsync(Requests.Json(new HttpMethod(method), path, "{\"event\":\"scripted\",\"id\":1,\"before\":1,\"after\":1}", origin: "http://evil.example"));
            answers.Add($"{method} {path}: {(int)response.StatusCode}");
        }

        routes.Select(r => r.Path).Should().Contain(["/api/profiler/start", "/api/profiler/stop", "/api/target", "/api/profiles", "/api/render", "/api/diffgraph", "/api/options"]);
        answers.Should().OnlyContain(a => a.EndsWith(": 403", StringComparison.Ordinal));
        _sampler.SessionsStarted.Should().Be(1, "only the test's own session started");
        (await _host.GetJsonAsync("/api/profiles")).ToString().Should().Be(before, "nothing was rendered, deleted or compared");
    }

    [Fact]
    public async Task A_sampler_that_throws_on_start_fails_the_request_naming_the_plugin_and_the_next_start_works()
    {
        _sampler.ThrowOnStart = new InvalidOperationException("device busy");

        var failed = await _host.PostJsonAsync("/api/profiler/start", new { @event = "scripted" });
        _sampler.ThrowOnStart = null;
        await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
        await _host.PostOkAsync("/api/profiler/stop", new { });

        failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        (await Error(failed)).Should().Be("plugin 'test-plugins' failed to start 'scripted': device busy");
    }

    [Fact]
    public async Task A_sampler_that_throws_on_stop_fails_the_request_releases_the_session_and_leaves_the_host_idle()
    {
        await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
        _sampler.ThrowOnStop = new IOException("ring buffer lost");

        var failed = await _host.PostJsonAsync("/api/profiler/stop", "{}");

        failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        (await Error(failed)).Should().Contain("plugin 'test-plugins' failed to stop 'scripted': ring buffer lost");
        _sampler.SessionsDisposed.Should().Be(1);
        (await _host.GetJsonAsync("/api/profiler"))["state"]!.Value<string>().Should().Be("idle");
    }

    [Fact]
    public async Task A_probe_that_throws_shows_the_event_type_as_unavailable_with_the_message()
    {
        _sampler.ThrowOnProbe = new UnauthorizedAccessException("cannot read /proc/sys");

        var types = (JArray)await _host.GetJsonAsync("/api/event-types");

        var scripted = types.Single(t => t["name"]!.Value<string>() == "scripted");
        scripted["available"]!.Value<bool>().Should().BeFalse();
        scripted["reason"]!.Value<string>().Should().Contain("cannot read /proc/sys");
    }

    [Fact]
    public async Task A_partial_profile_from_a_target_that_exited_is_stored_and_marked()
    {
        _sampler.Partial = true;

        var stopped = await _host.ProfileAsync("scripted", TimeSpan.Zero);

        stopped["partial"]!.Value<bool>().Should().BeTrue();
        var raw = await _host.Client.GetStringAsync($"/profiles/{stopped["files"]![0]!["name"]}");
        raw.Should().Contain("# partial: true");
    }

    [Fact]
    public async Task A_session_that_reaches_maxDuration_stops_by_itself_and_keeps_its_profile()
    {
        await _host.PostOkAsync("/api/profiler/start", new { @event = "scripted", options = new { maxDuration = "300ms" } });

        JToken status;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(100);
            status = await _host.GetJsonAsync("/api/profiler");
        }
        while (status["state"]!.Value<string>() != "idle" && DateTime.UtcNow < deadline);

        status["state"]!.Value<string>().Should().Be("idle");
        status["lastStop"]!["stoppedBy"]!.Value<string>().Should().Be("maxDuration");
        status["lastStop"]!["partial"]!.Value<bool>().Should().BeTrue();
        ((JArray)await _host.GetJsonAsync("/api/profiles")).Should().HaveCount(2);
    }

    [Fact]
    public async Task Flamegraph_rerenders_a_stored_profile_with_other_options_and_404s_an_unknown_id()
    {
        var stopped = await _host.ProfileAsync("scripted", TimeSpan.Zero);

        var file = await _host.PostOkAsync("/api/flamegraph", new { id = stopped["id"], options = new { transforms = Array.Empty<object>() } });
        var unknown = await _host.PostJsonAsync("/api/flamegraph", new { id = 99 });

        file["kind"]!.Value<string>().Should().Be("flamegraph");
        EmbeddedPageData.FrameNames(await _host.Client.GetStringAsync($"/profiles/{file["name"]}")).Should().Contain("Cold", "the request replaced the default transforms with none");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Error(unknown)).Should().Be("no stored profile has id 99");
    }

    [Theory]
    [InlineData("itimer", "1ms", "interval: 1ms is shorter than itimer takes; its shortest is 5ms")]
    [InlineData("cpu", "1us", "interval: 1us is shorter than cpu takes; its shortest is 100us")]
    public async Task Each_sampler_refuses_an_interval_below_its_own_shortest_naming_it(string eventType, string interval, string message)
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);

        var response = await host.PostJsonAsync("/api/profiler/start", new { @event = eventType, options = new { interval } });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Error(response)).Should().Be(message);
        host.Engine.Status.State.Should().Be("idle");
    }

    [Fact]
    public async Task Flamegraph_with_an_id_past_any_whole_number_type_is_400()
    {
        var response = await _host.PostJsonAsync("/api/flamegraph", "{\"id\": 99999999999999999999999}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Error(response)).Should().Be("request body: 'id' must be a profile id (a positive whole number)");
    }

    [Fact]
    public async Task Flamegraph_with_a_transform_pattern_that_times_out_is_400_naming_the_transform_and_stores_nothing()
    {
        var sampler = new ScriptedSampler("scripted") { Folded = $"Main;{new string('a', 40)} 1\n" };
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer(), new Pluggable.Plugins.Transforms.FilterTransformFactory()]);
        var stopped = await host.ProfileAsync("scripted", TimeSpan.Zero);
        var filesBefore = host.Engine.Store.List();

        var response = await host.PostJsonAsync("/api/flamegraph", new { id = stopped["id"], options = new { transforms = new[] { new { type = "filter", what = @"^(a+)+\(x" } } } });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Error(response)).Should().StartWith(@"transforms[0] (filter): the pattern '^(a+)+\(x' took longer than 1 s on a frame; simplify it");
        host.Engine.Store.List().Should().BeEquivalentTo(filesBefore);
    }

    [Fact]
    public async Task Diffgraph_of_an_unknown_id_is_404_and_of_different_units_is_400()
    {
        var samples = await _host.ProfileAsync("scripted", TimeSpan.Zero);
        var bytes = await _host.ProfileAsync("bytes", TimeSpan.Zero);

        var unknown = await _host.PostJsonAsync("/api/diffgraph", new { before = samples["id"], after = 42 });
        var mixed = await _host.PostJsonAsync("/api/diffgraph", new { before = samples["id"], after = bytes["id"] });

        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        mixed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Error(mixed)).Should().Contain("only profiles of the same unit can be compared");
    }

    [Fact]
    public async Task Delete_of_one_profile_and_of_all_empties_the_list()
    {
        var first = await _host.ProfileAsync("scripted", TimeSpan.Zero);
        await _host.ProfileAsync("scripted", TimeSpan.Zero);

        var one = await _host.Client.DeleteAsync($"/api/profiles/{first["id"]}");
        var missing = await _host.Client.DeleteAsync($"/api/profiles/{first["id"]}");
        var afterOne = (JArray)await _host.GetJsonAsync("/api/profiles");
        var all = await _host.Client.DeleteAsync("/api/profiles");

        one.StatusCode.Should().Be(HttpStatusCode.OK);
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        afterOne.Select(f => f["id"]!.Value<int>()).Should().OnlyContain(id => id == 2);
        all.StatusCode.Should().Be(HttpStatusCode.OK);
        ((JArray)await _host.GetJsonAsync("/api/profiles")).Should().BeEmpty();
    }

    [Fact]
    public async Task Options_shows_the_effective_defaults()
    {
        var options = await _host.GetJsonAsync("/api/options");

        options["interval"]!.Value<string>().Should().Be("20ms");
        options["maxDuration"]!.Value<string>().Should().Be("1h");
        options["transforms"]![0]!["type"]!.Value<string>().Should().Be("rename");
    }

    [Fact]
    public async Task Plugins_lists_each_plugin_with_its_kinds_and_status()
    {
        var plugins = (JArray)await _host.GetJsonAsync("/api/plugins");

        plugins.Should().ContainSingle();
        plugins[0]!["status"]!.Value<string>().Should().Be("loaded");
        plugins[0]!["kinds"]!.Values<string>().Should().Equal("renderer", "sampler", "transform");
        plugins[0]!["eventTypes"]!.Values<string>().Should().Equal("scripted", "bytes");
    }

    [Fact]
    public async Task The_page_and_api_responses_carry_headers_that_stop_sniffing_and_framing()
    {
        var page = await _host.Client.GetAsync("/");
        var api = await _host.Client.GetAsync("/api/profiles");

        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        var policy = ContentSecurityPolicy.Of(page);
        policy["script-src"].Should().Equal(["'self'"], "the page runs only its own script file: no inline script, no eval, no other host");
        policy["default-src"].Should().Equal("'self'");
        policy["connect-src"].Should().Equal("'self'");
        policy["frame-ancestors"].Should().Equal("'none'");
        page.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
        api.Headers.GetValues("X-Content-Type-Options").Single().Should().Be("nosniff");
        (await page.Content.ReadAsStringAsync()).Should().NotContain("http://").And.NotContain("https://", "the page must work without internet");
    }

    private static async Task<string> Error(HttpResponseMessage response) =>
        JObject.Parse(await response.Content.ReadAsStringAsync())["error"]!.Value<string>()!;
}
