using System.Diagnostics;
using System.Text.RegularExpressions;
using Pluggable.Core.Contracts;
using Pluggable.Host.Doctor;
using Pluggable.Host.Engine;
using Pluggable.Testing;

namespace Pluggable.Host.Tests.Doctor;

/// <summary>Each setup check, passing and failing, with its fix; and the real doctor as an unprivileged user.</summary>
public class SetupDoctorTests
{
    private static readonly TargetProcess Other = new(4242, "shop", "10.0.12", IsSelf: false);

    private static SetupCheck Check(string name, Dictionary<string, string> files, uint uid = 1000, bool reachable = true, TargetProcess? target = null, IReadOnlyList<EventTypeStatus>? eventTypes = null) =>
        new SetupDoctor(path => files.GetValueOrDefault(path), _ => reachable, uid).Run(target ?? Other, eventTypes ?? []).Single(c => c.Name == name);

    private static Dictionary<string, string> Machine(string paranoid = "2", string kptr = "0", string seccomp = "0", string capEff = "0000000000000000", string ptraceScope = "0") => new()
    {
        ["/proc/sys/kernel/perf_event_paranoid"] = paranoid,
        ["/proc/sys/kernel/kptr_restrict"] = kptr,
        ["/proc/self/status"] = $"Name:\thost\nSeccomp:\t{seccomp}\nCapEff:\t{capEff}\n",
        ["/proc/sys/kernel/yama/ptrace_scope"] = ptraceScope,
    };

    [Theory]
    [InlineData("-1", "pass")]
    [InlineData("1", "warn")]
    [InlineData("2", "warn")]
    [InlineData("3", "fail")]
    public void Paranoid_is_judged_by_its_level_for_an_unprivileged_profiler(string level, string status)
    {
        var check = Check("perf_event_paranoid", Machine(paranoid: level));

        check.Status.Should().Be(status);
        if (status != "pass")
        {
            check.Fix.Should().Contain("sysctl -w kernel.perf_event_paranoid=");
        }
    }

    [Fact]
    public void Paranoid_does_not_limit_a_profiler_with_CAP_PERFMON()
    {
        Check("perf_event_paranoid", Machine(paranoid: "3", capEff: "0000004000000000")).Status.Should().Be("pass");
    }

    [Theory]
    [InlineData("0", 1000u, "pass")]
    [InlineData("1", 0u, "pass")]
    [InlineData("2", 1000u, "warn")]
    public void Kptr_restrict_says_when_kernel_frames_lose_their_names(string value, uint uid, string status)
    {
        var check = Check("kptr_restrict", Machine(kptr: value), uid);

        check.Status.Should().Be(status);
        if (status == "warn")
        {
            check.Fix.Should().Be("sysctl -w kernel.kptr_restrict=0");
        }
    }

    [Fact]
    public void A_seccomp_filter_is_a_warning_with_the_docker_option()
    {
        Check("seccomp", Machine()).Status.Should().Be("pass");
        var filtered = Check("seccomp", Machine(seccomp: "2"));
        filtered.Status.Should().Be("warn");
        filtered.Fix.Should().Contain("--security-opt seccomp=");
    }

    [Fact]
    public void Missing_capabilities_say_which_and_the_docker_flags()
    {
        Check("capabilities", Machine(), uid: 0).Status.Should().Be("pass");
        var missing = Check("capabilities", Machine());
        missing.Status.Should().Be("warn");
        missing.Detail.Should().Contain("CAP_PERFMON and CAP_SYS_PTRACE");
        missing.Fix.Should().Contain("--cap-add PERFMON --cap-add SYS_PTRACE");
    }

    [Theory]
    [InlineData("0", false, "pass")]
    [InlineData("1", true, "pass")]
    [InlineData("1", false, "fail")]
    [InlineData("2", false, "fail")]
    [InlineData("3", false, "fail")]
    public void Ptrace_scope_is_judged_for_the_target(string scope, bool self, string status)
    {
        var target = self ? Other with { IsSelf = true } : Other;

        Check("ptrace_scope", Machine(ptraceScope: scope), target: target).Status.Should().Be(status);
    }

    [Fact]
    public void An_unreachable_diagnostics_socket_fails_with_the_same_user_and_tmp_advice()
    {
        Check("diagnostics IPC", Machine()).Status.Should().Be("pass");
        var unreachable = Check("diagnostics IPC", Machine(), reachable: false);
        unreachable.Status.Should().Be("fail");
        unreachable.Fix.Should().Contain("/tmp").And.Contain("DOTNET_EnableDiagnostics");
    }

    [Fact]
    public void Perf_maps_need_net_8_or_DOTNET_PerfMapEnabled()
    {
        Check("perf maps", Machine()).Status.Should().Be("pass");
        var old = Check("perf maps", Machine(), target: Other with { RuntimeVersion = "6.0.36" });
        old.Status.Should().Be("warn");
        old.Fix.Should().Contain("DOTNET_PerfMapEnabled=3");
    }

    [Fact]
    public void Each_event_type_passes_or_fails_with_its_probes_reason_and_fix()
    {
        var eventTypes = new[]
        {
            new EventTypeStatus("cpu", "perf-sampler", "samples", "CPU", false, "perf_event_paranoid is 3", "sysctl ..."),
            new EventTypeStatus("alloc", "eventpipe-sampler", "bytes", "bytes", true, null, null),
        };

        Check("event type cpu", Machine(), eventTypes: eventTypes).Should().BeEquivalentTo(new { Status = "fail", Detail = "perf_event_paranoid is 3", Fix = "sysctl ..." });
        Check("event type alloc", Machine(), eventTypes: eventTypes).Status.Should().Be("pass");
    }

    /// <summary>The real sysctl, read as it is: a test that rewrote it would change the machine under every other test running.</summary>
    [SkippableFact]
    public async Task The_doctor_command_run_as_an_unprivileged_user_reports_the_real_paranoid_level()
    {
        Skip.IfNot(Environment.UserName == "root" && File.Exists("/usr/bin/setpriv"), "needs root and setpriv (to drop to nobody)");
        var level = File.ReadAllText("/proc/sys/kernel/perf_event_paranoid").Trim();

        var doctor = await DoctorAsNobodyAsync();

        doctor.Output.Should().MatchRegex($@"\[(pass|warn|fail)\] perf_event_paranoid: it is {Regex.Escape(level)}\b");
        doctor.ExitCode.Should().Be(doctor.Output.Contains("[fail]", StringComparison.Ordinal) ? 1 : 0, "a failing check, and only one, fails the command");
    }

    private static async Task<(int ExitCode, string Output)> DoctorAsNobodyAsync()
    {
        var start = new ProcessStartInfo("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp",
            "dotnet", Path.Combine(AppContext.BaseDirectory, "pluggable.dll"), "doctor"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output + await process.StandardError.ReadToEndAsync());
    }
}
