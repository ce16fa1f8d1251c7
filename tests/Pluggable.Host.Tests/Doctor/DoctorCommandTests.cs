using Pluggable.Testing;

namespace Pluggable.Host.Tests.Doctor;

/// <summary><c>pluggable doctor --pid N</c>, the command as its own process: the checks are of process N, not of the doctor.</summary>
public class DoctorCommandTests
{
    private static (int ExitCode, string Output) Doctor(int pid)
    {
        var (exitCode, output, errors) = ExternalCommand.Execute("dotnet", [Path.Combine(AppContext.BaseDirectory, "pluggable.dll"), "doctor", "--pid", $"{pid}"]);
        return (exitCode, output + errors);
    }

    [Fact]
    public async Task Doctor_with_a_pid_names_that_process_and_reports_its_diagnostics_socket_and_event_types()
    {
        await using var target = await FixtureProcess.StartAsync("idle");

        var (exitCode, output) = Doctor(target.Pid);

        output.Split('\n')[0].Should().StartWith("Pluggable doctor, for ").And.Contain($"(pid {target.Pid}, .NET ");
        output.Should().Contain($"[pass] diagnostics IPC: pid {target.Pid}'s diagnostics socket is reachable");
        output.Should().Contain($"[pass] event type alloc: alloc can sample pid {target.Pid}");
        exitCode.Should().Be(output.Contains("[fail]", StringComparison.Ordinal) ? 1 : 0, "a failing check, and only one, fails the command");
    }

    [Fact]
    public async Task Doctor_with_the_pid_of_a_process_without_its_diagnostics_socket_fails_saying_what_turned_it_off()
    {
        await using var target = await FixtureProcess.StartAsync(FixtureProcess.WorkloadAssembly, ["idle", "1"], new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "0" });

        var (exitCode, output) = Doctor(target.Pid);

        output.Should().Contain($"[fail] diagnostics IPC: pid {target.Pid} was started with DOTNET_EnableDiagnostics=0, which turns its diagnostics socket off");
        output.Should().Contain("fix: restart the target without DOTNET_EnableDiagnostics=0");
        exitCode.Should().Be(1);
    }
}
