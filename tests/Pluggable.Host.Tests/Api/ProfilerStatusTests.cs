using System.Globalization;
using System.Net;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Pluggable.Plugins.HtmlFlamegraph;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

/// <summary>GET /api/profiler through a session's life: idle, running since its start, stopping while it is stored, idle again.</summary>
public class ProfilerStatusTests
{
    private static readonly TimeSpan StoppingTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The status with <c>since</c> left as the text the host sent, so its format is what is checked.</summary>
    private static async Task<JObject> StatusAsync(TestHost host)
    {
        using var reader = new JsonTextReader(new StringReader(await host.Client.GetStringAsync("/api/profiler"))) { DateParseHandling = DateParseHandling.None };
        return JObject.Load(reader);
    }

    private static DateTimeOffset Iso8601(JToken since)
    {
        since.Value<string>().Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", "since is ISO 8601 with its offset");
        return DateTimeOffset.Parse(since.Value<string>()!, CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_status_names_the_running_session_and_its_start_then_shows_stopping_while_it_is_stored_and_refuses_a_start()
    {
        var release = new TaskCompletionSource();
        var sampler = new ScriptedSampler("scripted") { StopHeldUntil = release.Task };
        await using var host = await TestHost.StartAsync([sampler, new FlamegraphRenderer()]);
        var idle = await StatusAsync(host);

        var before = DateTimeOffset.UtcNow;
        await host.PostOkAsync("/api/profiler/start", new { @event = "scripted" });
        var after = DateTimeOffset.UtcNow;
        var running = await StatusAsync(host);
        var stop = host.PostJsonAsync("/api/profiler/stop", "{}");
        var stopping = await StatusAsync(host);
        var deadline = DateTime.UtcNow + StoppingTimeout;
        while (stopping["state"]!.Value<string>() == "running" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            stopping = await StatusAsync(host);
        }
        var startWhileStopping = await host.PostJsonAsync("/api/profiler/start", new { @event = "scripted" });
        release.SetResult();
        (await stop).StatusCode.Should().Be(HttpStatusCode.OK);
        var stopped = await StatusAsync(host);

        idle["state"]!.Value<string>().Should().Be("idle");
        idle["event"]!.Type.Should().Be(JTokenType.Null);
        idle["since"]!.Type.Should().Be(JTokenType.Null);
        running["state"]!.Value<string>().Should().Be("running");
        running["event"]!.Value<string>().Should().Be("scripted");
        Iso8601(running["since"]!).Should().BeOnOrAfter(before).And.BeOnOrBefore(after, "since is when the session started");
        stopping["state"]!.Value<string>().Should().Be("stopping", "the sampler's stop is held, so the profile is not stored yet");
        stopping["event"]!.Value<string>().Should().Be("scripted");
        Iso8601(stopping["since"]!).Should().Be(Iso8601(running["since"]!), "it is the same session");
        startWhileStopping.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await startWhileStopping.Content.ReadAsStringAsync()).Should().Contain("still being stopped and stored");
        sampler.SessionsStarted.Should().Be(1);
        stopped["state"]!.Value<string>().Should().Be("idle");
        stopped["event"]!.Type.Should().Be(JTokenType.Null);
        stopped["since"]!.Type.Should().Be(JTokenType.Null);
        stopped["lastStop"]!["event"]!.Value<string>().Should().Be("scripted");
    }
}
