using Newtonsoft.Json.Linq;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Cli;

/// <summary>
/// The README's main production path: a service that does not run as root, on a machine left at its own
/// perf_event_paranoid (2 by default), profiled by pid by a host run as the same user. Here both run as nobody, so
/// the samplers get an ordinary user's answer from the kernel, not root's.
/// </summary>
[Collection(ProfilingCollection.Name)]
public class UnprivilegedProfilingTests
{
    private const string Hot = "CpuWorkload.HotMethod";
    private const string Cold = "CpuWorkload.ColdMethod";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(4);

    [SkippableTheory]
    [InlineData("cpu")]
    [InlineData("itimer")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_host_run_as_an_ordinary_user_profiles_that_users_service_70_30_within_5_points(string eventType)
    {
        Skip.IfNot(UnprivilegedUser.CanRunAs, UnprivilegedUser.CannotRunAsReason);
        using var results = new TempFolder("pluggable-results");
        File.SetUnixFileMode(results.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        await using var target = await FixtureProcess.StartAsync(FixtureProcess.WorkloadAssembly, ["cpu", "1"], commandPrefix: UnprivilegedUser.Prefix);
        await using var host = await HostProcess.StartAsync(["--pid", $"{target.Pid}", "--results", results.Path], UnprivilegedUser.Prefix);
        File.ReadAllText($"/proc/{target.Pid}/status").Should().MatchRegex($@"Uid:\s+{UnprivilegedUser.Id}\s", "the target runs as nobody");
        File.ReadAllText($"/proc/{host.Process.Id}/status").Should().MatchRegex($@"Uid:\s+{UnprivilegedUser.Id}\s", "the host runs as nobody");

        var status = ((JArray)await host.Client.GetJsonAsync("/api/event-types")).Single(t => t["name"]!.Value<string>() == eventType);
        status["available"]!.Value<bool>().Should().BeTrue($"an ordinary user may profile its own process with {eventType}, but: {status["reason"]}");
        var stopped = await host.Client.ProfileAsync(eventType, Duration);

        var profile = await host.Client.ReadRawProfileAsync(stopped);
        var hot = profile.WeightThrough(Hot);
        var cold = profile.WeightThrough(Cold);
        (hot + cold).Should().BeGreaterThan(0, $"the workload's methods are in the profile; top stacks:\n{profile.Top()}");
        (100.0 * hot / (hot + cold)).Should().BeApproximately(70, 5, $"the workload spends 70% of its CPU in {Hot}; top stacks:\n{profile.Top()}");
        if (eventType == "cpu")
        {
            var paranoid = int.Parse(File.ReadAllText("/proc/sys/kernel/perf_event_paranoid").Trim(), System.Globalization.CultureInfo.InvariantCulture);
            profile.Metadata.Properties["mode"].Should().StartWith(paranoid <= 0 ? "per-cpu" : "per-thread",
                "an ordinary user may open per-CPU events only at perf_event_paranoid 0 or below");
        }
    }
}
