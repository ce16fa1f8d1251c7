using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Api;

/// <summary>GET /api/doctor over the bundled samplers: one entry per sampler plugin, its own checks, then a probe per event type.</summary>
public class DoctorApiTests
{
    [Fact]
    public async Task The_doctor_lists_each_bundled_sampler_with_checks_that_say_status_detail_why_and_fix_then_a_probe_per_event_type()
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins]);
        var eventTypes = (JArray)await host.GetJsonAsync("/api/event-types");

        var report = (JArray)await host.GetJsonAsync("/api/doctor");

        report.Select(s => s["plugin"]!.Value<string>()).Should().BeEquivalentTo(["eventpipe-sampler", "perf-sampler", "itimer-sampler"]);
        var checks = report.SelectMany(s => s["checks"]!).ToArray();
        checks.Should().AllSatisfy(c =>
        {
            c.Select(p => ((JProperty)p).Name).Should().BeEquivalentTo("name", "status", "detail", "why", "fix");
            c["status"]!.Value<string>().Should().BeOneOf("pass", "warn", "fail");
            c["detail"]!.Value<string>().Should().NotBeNullOrWhiteSpace();
            c["why"]!.Value<string>().Should().NotBeNullOrWhiteSpace();
        });
        foreach (var sampler in report)
        {
            var plugin = sampler["plugin"]!.Value<string>();
            var types = eventTypes.Where(t => t["plugin"]!.Value<string>() == plugin).ToArray();
            var probes = sampler["checks"]!.TakeLast(types.Length).ToArray();
            probes.Select(c => c["name"]!.Value<string>()).Should().Equal(types.Select(t => $"event type {t["name"]}"), "the sampler's own checks come first, then its event types'");
            probes.Select(c => c["status"]!.Value<string>()).Should().Equal(types.Select(t => t["available"]!.Value<bool>() ? "pass" : "fail"), "a probe passes exactly when its event type is available");
        }
    }
}
