using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using Pluggable.Core.Contracts;
using Pluggable.Core.Plugins;
using Pluggable.Core.Profiles;
using Pluggable.Host.Doctor;
using Pluggable.Host.Engine;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Doctor;

/// <summary>
/// The doctor lists what each sampler reports, under its plugin, then each event type's probe; it checks nothing of the
/// machine itself. The real samplers' checks are tested against the machine in the plugin tests.
/// </summary>
public class SetupDoctorTests(DroppedPluginsFixture dropped) : IClassFixture<DroppedPluginsFixture>
{
    private static readonly TargetProcess Target = new(4242, "shop", "10.0.12", IsSelf: false);

    /// <summary>A sampler that reports the checks it is given, and remembers the target it was asked about.</summary>
    private sealed class ReportingSampler(string eventType, Func<TargetProcess?, IReadOnlyList<SetupCheck>> checks) : ISampler, ISetupReporter
    {
        public List<TargetProcess?> AskedAbout { get; } = [];

        public IReadOnlyList<EventTypeInfo> EventTypes => [new(eventType, KnownUnits.Samples, "reports its setup")];

        public Availability Probe(string eventType, TargetProcess target) => Availability.Available;

        public Task<ISamplingSession> StartAsync(SamplingRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IReadOnlyList<SetupCheck> CheckSetup(TargetProcess? target)
        {
            AskedAbout.Add(target);
            return checks(target);
        }
    }

    private static PluginRegistry Registry(params (string Plugin, ISampler Sampler)[] samplers)
    {
        var builder = new PluginRegistryBuilder();
        foreach (var (plugin, sampler) in samplers)
        {
            builder.AddLoaded(plugin, "1.0", "/plugins/" + plugin, [sampler]);
        }
        return builder.Build();
    }

    private static EventTypeStatus Probed(string name, string plugin, bool available) =>
        new(name, plugin, KnownUnits.Samples, $"{name} stacks", available, available ? null : $"{name} is refused", available ? null : $"allow {name}");

    [Fact]
    public void Each_samplers_own_checks_come_under_its_plugin_then_its_event_types_probes()
    {
        var knob = new SetupCheck("some_knob", SetupStatus.Warn, "it is 2", "decides things", "sysctl -w some.knob=1");
        var reporting = new ReportingSampler("reported", _ => [knob]);

        var report = SetupDoctor.Run(Registry(("reporting-sampler", reporting), ("silent-sampler", new ScriptedSampler("silent"))), Target,
            [Probed("reported", "reporting-sampler", available: true), Probed("silent", "silent-sampler", available: false)]);

        report.Select(s => s.Plugin).Should().Equal("reporting-sampler", "silent-sampler");
        report[0].Checks.Should().Equal(knob, new SetupCheck("event type reported", SetupStatus.Pass, "reported can sample pid 4242", "reported stacks"));
        report[1].Checks.Should().Equal(new SetupCheck("event type silent", SetupStatus.Fail, "silent is refused", "silent stacks", "allow silent"));
        reporting.AskedAbout.Should().Equal(Target);
    }

    [Fact]
    public void Without_a_target_a_sampler_is_asked_for_its_machine_checks_only_and_no_event_type_is_listed()
    {
        var reporting = new ReportingSampler("reported", target => [new SetupCheck(target is null ? "machine" : "target", SetupStatus.Pass, "fine", "why")]);

        var report = SetupDoctor.Run(Registry(("reporting-sampler", reporting)), target: null, [Probed("reported", "reporting-sampler", available: false)]);

        report.Single().Checks.Select(c => c.Name).Should().Equal("machine");
        SetupDoctor.AnyFails(report).Should().BeFalse();
    }

    [Fact]
    public void A_sampler_whose_checks_throw_is_one_failing_check_naming_its_plugin_and_the_others_are_listed()
    {
        var throwing = new ReportingSampler("broken", _ => throw new InvalidOperationException("no /proc here"));
        var working = new ReportingSampler("working", _ => [new SetupCheck("fine", SetupStatus.Pass, "fine", "why")]);

        var report = SetupDoctor.Run(Registry(("broken-sampler", throwing), ("working-sampler", working)), Target, []);

        report[0].Checks.Single().Should().BeEquivalentTo(new { Status = SetupStatus.Fail, Detail = "plugin 'broken-sampler' failed to check its setup: InvalidOperationException: no /proc here" });
        report[1].Checks.Single().Name.Should().Be("fine");
        SetupDoctor.AnyFails(report).Should().BeTrue();
    }

    [Fact]
    public async Task A_dropped_in_samplers_checks_reach_the_api_from_its_own_load_context()
    {
        await using var host = await TestHost.StartAsync([dropped.PluginsFolder]);

        var report = (JArray)await host.GetJsonAsync("/api/doctor");

        var dropin = report.Single(s => s["plugin"]!.Value<string>() == "dropin-sampler")["checks"]!;
        dropin.Select(c => (c["name"]!.Value<string>(), c["status"]!.Value<string>())).Should().Equal(
            ("dropin clock", "pass"), ("dropin target", "warn"), ("event type dropin", "pass"));
        dropin[1]!["fix"]!.Value<string>().Should().Be("use a real sampler");
    }

    /// <summary>The real sysctl, read as it is: a test that rewrote it would change the machine under every other test running.</summary>
    [SkippableFact]
    public void The_doctor_command_run_as_an_unprivileged_user_reports_the_real_paranoid_level()
    {
        Skip.IfNot(UnprivilegedUser.CanRunAs, UnprivilegedUser.CannotRunAsReason);
        var level = File.ReadAllText("/proc/sys/kernel/perf_event_paranoid").Trim();

        var doctor = DoctorAsNobody();

        doctor.Output.Should().MatchRegex($@"\[(pass|warn|fail)\] perf_event_paranoid: it is {Regex.Escape(level)}\b");
        doctor.ExitCode.Should().Be(doctor.Output.Contains("[fail]", StringComparison.Ordinal) ? 1 : 0, "a failing check, and only one, fails the command");
    }

    private static (int ExitCode, string Output) DoctorAsNobody()
    {
        var command = UnprivilegedUser.Prefix.Concat(["dotnet", Path.Combine(AppContext.BaseDirectory, "pluggable.dll"), "doctor"]).ToArray();
        var (exitCode, output, errors) = ExternalCommand.Execute(command[0], command.Skip(1));
        return (exitCode, output + errors);
    }
}
