using Pluggable.Core.Profiles;
using Pluggable.GroundTruth;
using Pluggable.Testing;

namespace Pluggable.Plugins.Tests.Service;

/// <summary>
/// cpu and itimer on a real ASP.NET Core service under load: bearer tokens, authorization, rate limiting, HTTP
/// logging and EF Core on SQLite, async all the way, mostly framework code precompiled as ReadyToRun. Its stacks
/// are deep and cross every kind of code, which tight loops never show.
/// </summary>
[Collection(ProfilingCollection.Name)]
public class ServiceStackTests(ShopUnderLoad shop) : IClassFixture<ShopUnderLoad>
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(6);

    /// <summary>Callers and callees the shop's middleware order (tests/Fixtures/Service/Shop.cs) fixes: the callee is only ever called by the caller.</summary>
    private static readonly (string Caller, string Callee)[] PipelineCalls =
    [
        ("RateLimitingMiddleware", "Microsoft.AspNetCore.Routing.EndpointMiddleware.Invoke"),
        ("AuthenticationMiddleware", "Microsoft.AspNetCore.Authorization.AuthorizationMiddleware"),
        ("Pluggable.Fixtures.Service.CountingMiddleware", "Microsoft.AspNetCore.Authentication.AuthenticationMiddleware"),
    ];

    public static TheoryData<string, string> Samplers => new()
    {
        { "cpu", "cpu" },
        { "cpu", "thread" },
        { "itimer", "" },
    };

    [Theory]
    [MemberData(nameof(Samplers))]
    public async Task Stacks_of_a_real_service_reach_the_threads_entry_in_95_percent_of_samples(string eventType, string mode)
    {
        var profile = await ProfileAsync(eventType, mode);

        profile.WholeStackShare().Should().BeGreaterThanOrEqualTo(0.95, $"stack-walks: {profile.Metadata.Properties.GetValueOrDefault("stack-walks")}; top stacks:\n{profile.Top()}");
        var unnamedPrecompiled = profile.Stacks.Where(s => profile.FrameNames(s).Any(n => n.Contains(".dll+0x", StringComparison.Ordinal))).Sum(s => s.Weight);
        ((double)unnamedPrecompiled / profile.TotalWeight).Should().BeLessThan(0.01, "precompiled code the rundown does not name is named from its assembly's image");
        foreach (var (caller, callee) in PipelineCalls)
        {
            var throughCallee = profile.Stacks.Where(s => profile.FrameNames(s).Any(n => n.Contains(callee, StringComparison.Ordinal))).ToArray();
            var withCaller = throughCallee.Where(s => profile.FrameNames(s).Any(n => n.Contains(caller, StringComparison.Ordinal))).Sum(s => s.Weight);
            ((double)throughCallee.Sum(s => s.Weight) / profile.TotalWeight).Should().BeGreaterThan(0.1, $"every request passes {callee}");
            ((double)withCaller / throughCallee.Sum(s => s.Weight)).Should().BeGreaterThan(0.98, $"only {caller} calls {callee}: a stack without it lost a frame");
        }
    }

    /// <summary>
    /// At 500 and 200 Hz over 6 s, a frame's share is known to about a point at one standard error, both here and
    /// from perf at 499 Hz: 3 points stay clear of chance, and a walk that loses frames loses more than that.
    /// </summary>
    [SkippableTheory]
    [InlineData("cpu", "2ms")]
    [InlineData("itimer", "5ms")]
    public async Task The_top_managed_frames_weigh_no_less_than_perf_record_g_says_minus_3_points(string eventType, string interval)
    {
        Skip.IfNot(PerfRecord.IsInstalled, "Debian's linux-perf is not installed (tests/run.sh installs it)");
        Skip.IfNot(Environment.UserName == "root", "perf record -a needs root");
        using var work = new TempFolder();
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: shop.Shop.Pid);
        await host.PostOkAsync("/api/profiler/start", new { @event = eventType, options = new { interval } });
        var truth = await PerfRecord.RecordAsync(shop.Shop.Pid, Duration, 499, work.Path);
        var profile = await host.ReadProfileAsync(await host.PostOkAsync("/api/profiler/stop", new { }));

        var perfShares = truth.InclusiveShares();
        var ours = profile.InclusiveShares();
        var top = perfShares.OrderByDescending(s => s.Value).Take(20).ToArray();
        top.Should().HaveCount(20, "perf names the jitted frames from the shop's perf map");
        var report = string.Join("\n", top.Select(s => $"{100 * s.Value,5:0.0}% perf, {100 * ours.GetValueOrDefault(s.Key),5:0.0}% {eventType}  {s.Key}"));
        foreach (var (frame, share) in top)
        {
            ours.GetValueOrDefault(frame).Should().BeGreaterThanOrEqualTo(share - 0.03,
                $"perf -g (whole in {100 * truth.WholeStackShare():0}% of its samples) puts {100 * share:0.0}% under {frame}; ours {100 * profile.WholeStackShare():0}% whole:\n{report}");
        }
    }

    private async Task<StackProfile> ProfileAsync(string eventType, string mode)
    {
        await using var host = await TestHost.StartAsync([RepoPaths.BuiltPlugins], pid: shop.Shop.Pid);
        object options = mode.Length == 0 ? new { } : new { events = new Dictionary<string, object> { [eventType] = new { mode } } };
        var stopped = await host.ProfileAsync(eventType, Duration, options);
        var profile = await host.ReadProfileAsync(stopped);
        profile.TotalWeight.Should().BeGreaterThan(0);
        return profile;
    }
}
